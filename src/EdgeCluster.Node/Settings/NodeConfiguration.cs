using System.Collections;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace EdgeCluster.Node;

/// <summary>
/// The node's configuration on Microsoft.Extensions.Configuration, lowest precedence first: appsettings.json's "Edge"
/// section, the lab file (<c>--lab</c>) for this node, <c>EDGE_*</c> environment variables, command-line switches.
/// </summary>
public static class NodeConfiguration
{
    public const string Section = "Edge";

    /// <summary>Each switch and the setting it sets; EDGE_ variables are the same names in capitals with underscores.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--node-name"] = nameof(NodeSettings.NodeName),
        ["--http-host"] = nameof(NodeSettings.HttpHost),
        ["--http-port"] = nameof(NodeSettings.HttpPort),
        ["--akka-host"] = nameof(NodeSettings.AkkaHost),
        ["--akka-public-host"] = nameof(NodeSettings.AkkaPublicHost),
        ["--akka-port"] = nameof(NodeSettings.AkkaPort),
        ["--seeds"] = nameof(NodeSettings.Seeds),
        ["--roles"] = nameof(NodeSettings.Roles),
        ["--data-dir"] = nameof(NodeSettings.DataDir),
        ["--auto-register"] = nameof(NodeSettings.AutoRegister),
        ["--config-dir"] = nameof(NodeSettings.ConfigDir),
        ["--replication-interval-ms"] = nameof(NodeSettings.ReplicationIntervalMs),
        ["--replication-push"] = nameof(NodeSettings.ReplicationPush),
        ["--lab"] = nameof(NodeSettings.Lab),
        ["--profile"] = nameof(NodeSettings.Profile),
        ["--heartbeat-interval-ms"] = nameof(NodeSettings.HeartbeatIntervalMs),
        ["--heartbeat-timeout-ms"] = nameof(NodeSettings.HeartbeatTimeoutMs),
        ["--inference-queue"] = nameof(NodeSettings.InferenceQueue),
        ["--fair-share-slack"] = nameof(NodeSettings.FairShareSlack),
        ["--inference-results-keep-s"] = nameof(NodeSettings.InferenceResultsKeepS),
        ["--admin-token"] = nameof(NodeSettings.AdminToken),
        ["--device-auth"] = nameof(NodeSettings.DeviceAuth),
        ["--limit-per-address"] = nameof(NodeSettings.LimitPerAddress),
        ["--limit-per-device"] = nameof(NodeSettings.LimitPerDevice),
        ["--mqtt-port"] = nameof(NodeSettings.MqttPort),
        ["--alert-high"] = nameof(NodeSettings.AlertHigh),
        ["--alert-low"] = nameof(NodeSettings.AlertLow),
        ["--uplink"] = nameof(NodeSettings.Uplink),
        ["--uplink-password-file"] = nameof(NodeSettings.UplinkPasswordFile),
        ["--uplink-rate"] = nameof(NodeSettings.UplinkRate),
        ["--uplink-batch"] = nameof(NodeSettings.UplinkBatch),
        ["--retention"] = nameof(NodeSettings.Retention),
        ["--tls-dir"] = nameof(NodeSettings.TlsDir),
        ["--tls-validate-hostname"] = nameof(NodeSettings.TlsValidateHostname),
        ["--https-port"] = nameof(NodeSettings.HttpsPort),
        ["--mqtt-tls-port"] = nameof(NodeSettings.MqttTlsPort),
    };

    /// <summary>Switches that take no value (--auto-register means --auto-register=true).</summary>
    private static readonly HashSet<string> Flags = ["--auto-register", "--tls-validate-hostname"];

    /// <summary>Switches that are true or false: the flags, and those that take on or off as their value.</summary>
    private static readonly HashSet<string> Booleans = [.. Flags, "--replication-push"];

    /// <summary>A true-or-false setting's value as the binder reads it: 1, yes and on are true; 0, no and off are false.</summary>
    internal static string Normalize(string key, string value) =>
        !Booleans.Contains(SwitchOf(key)) ? value : value.ToLowerInvariant() switch
        {
            "1" or "yes" or "on" => "true",
            "0" or "no" or "off" => "false",
            _ => value,
        };

    public static IConfigurationSection Build(string[] args, IDictionary environment, Action<IConfigurationBuilder> appSettings)
    {
        var switches = SwitchArguments(args);
        var mappings = Switches.ToDictionary(kv => kv.Key, kv => $"{Section}:{kv.Value}");
        IConfigurationBuilder Layers(string? lab, string nodeName)
        {
            var builder = new ConfigurationBuilder();
            appSettings(builder);
            if (lab is not null) builder.Add(new LabFileSource(lab, nodeName));
            builder.Add(new EdgeEnvironmentSource(environment));
            builder.AddCommandLine(switches, mappings);
            return builder;
        }
        // The lab file sits between appsettings.json and the environment; which file, and which node of it, the
        // other layers say.
        var first = Layers(null, "").Build().GetSection(Section);
        var labFile = first[nameof(NodeSettings.Lab)];
        if (string.IsNullOrEmpty(labFile)) return first;
        var nodeName = first[nameof(NodeSettings.NodeName)] is { Length: > 0 } name ? name : Dns.GetHostName();
        return Layers(labFile, nodeName).Build().GetSection(Section);
    }

    /// <summary>The switch that sets a setting.</summary>
    internal static string SwitchOf(string key) =>
        Switches.First(kv => string.Equals(kv.Value, key, StringComparison.OrdinalIgnoreCase)).Key;

    /// <summary>The final value of every setting given (lists given as JSON arrays joined by commas).</summary>
    public static IReadOnlyDictionary<string, string> Values(IConfigurationSection section) =>
        section.GetChildren().ToDictionary(c => c.Key,
            c => c.Value ?? string.Join(",", c.GetChildren().Select(x => x.Value)), StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks the switches (unknown, missing value) and writes flags as --flag=true for the command-line provider.</summary>
    private static string[] SwitchArguments(string[] args)
    {
        var result = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=');
            var name = arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? arg[..eq] : arg;
            if (!Switches.ContainsKey(name))
                throw new SettingsException($"unknown option '{arg}'; known options: {string.Join(", ", Switches.Keys)}");
            if (name != arg) result.Add($"{name}={Normalize(Switches[name], arg[(eq + 1)..])}");
            else if (Flags.Contains(name)) result.Add(name + "=true");
            else if (i + 1 < args.Length) result.Add($"{name}={Normalize(Switches[name], args[++i])}");
            else throw new SettingsException($"option {name} needs a value");
        }
        return result.ToArray();
    }
}

/// <summary>EDGE_NODE_NAME and its kind as Edge:NodeName: the variable's name without underscores, matched case-insensitively.</summary>
internal sealed class EdgeEnvironmentSource(IDictionary environment) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(environment);

    private sealed class Provider(IDictionary environment) : ConfigurationProvider
    {
        public override void Load()
        {
            var known = NodeConfiguration.Switches.Values.ToDictionary(v => v.ToUpperInvariant(), v => v);
            foreach (DictionaryEntry entry in environment)
            {
                var name = (string)entry.Key;
                if (!name.StartsWith("EDGE_", StringComparison.Ordinal)) continue;
                if (known.TryGetValue(name[5..].Replace("_", ""), out var key))
                    Data[$"{NodeConfiguration.Section}:{key}"] = NodeConfiguration.Normalize(key, (string?)entry.Value ?? "");
            }
        }
    }
}
