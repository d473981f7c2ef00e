using System.Collections;
using System.Globalization;
using System.Net;

namespace EdgeCluster.Node;

/// <summary>A setting that cannot work; the node stops at start with its message as one line.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// Everything one node needs to start, from (lowest to highest precedence) built-in defaults,
/// appsettings.json's "Edge" section, EDGE_* environment variables and command-line switches.
/// </summary>
public sealed record NodeSettings
{
    public string NodeName { get; init; } = Dns.GetHostName();
    public string HttpHost { get; init; } = "0.0.0.0";
    public int HttpPort { get; init; } = 5000;
    public string AkkaHost { get; init; } = "0.0.0.0";
    public string? AkkaPublicHost { get; init; }
    public int AkkaPort { get; init; } = 4053;
    public IReadOnlyList<string> Seeds { get; init; } = [];
    /// <summary>edge: takes readings; coordinator: may host the inference coordinator; inference: runs an inference worker.</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["edge", "coordinator", "inference"];
    public string DataDir { get; init; } = "data";
    public bool AutoRegister { get; init; }
    public string ConfigDir { get; init; } = Path.Combine(AppContext.BaseDirectory, "cluster-config");
    public int ReplicationIntervalMs { get; init; } = 500;
    /// <summary>How often this node's inference worker heartbeats, and how long the coordinator waits before it counts a worker offline.</summary>
    public int HeartbeatIntervalMs { get; init; } = 1000;
    public int HeartbeatTimeoutMs { get; init; } = 5000;
    /// <summary>Tasks the coordinator queues before it answers 429.</summary>
    public int InferenceQueue { get; init; } = 1000;
    /// <summary>Tasks a worker may be handed beyond the least-served alive worker; 0 = plain work-conserving round-robin.</summary>
    public int FairShareSlack { get; init; } = 4;
    /// <summary>cluster-config/profiles/&lt;name&gt;/akka.conf on top of akka.conf: default, ap or cp.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>Bearer token the /api/admin endpoints require; without one they answer only on loopback.</summary>
    public string? AdminToken { get; init; }

    /// <summary>The switches, with the EDGE_* variable and the appsettings key each one also has.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--node-name"] = "NodeName",
        ["--http-host"] = "HttpHost",
        ["--http-port"] = "HttpPort",
        ["--akka-host"] = "AkkaHost",
        ["--akka-public-host"] = "AkkaPublicHost",
        ["--akka-port"] = "AkkaPort",
        ["--seeds"] = "Seeds",
        ["--roles"] = "Roles",
        ["--data-dir"] = "DataDir",
        ["--auto-register"] = "AutoRegister",
        ["--config-dir"] = "ConfigDir",
        ["--replication-interval-ms"] = "ReplicationIntervalMs",
        ["--lab"] = "Lab",
        ["--profile"] = "Profile",
        ["--heartbeat-interval-ms"] = "HeartbeatIntervalMs",
        ["--heartbeat-timeout-ms"] = "HeartbeatTimeoutMs",
        ["--inference-queue"] = "InferenceQueue",
        ["--fair-share-slack"] = "FairShareSlack",
        ["--admin-token"] = "AdminToken",
    };

    public string JournalPath => System.IO.Path.Combine(DataDir, "journal.db");
    public string ReadModelPath => System.IO.Path.Combine(DataDir, "readings.db");

    public static NodeSettings Load(string[] args, IDictionary environment, IReadOnlyDictionary<string, string?>? appSettings = null)
    {
        var fromAppSettings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (appSettings is not null)
            foreach (var (key, value) in appSettings)
                if (value is not null) fromAppSettings[key] = value;

        var fromEnvironment = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith("EDGE_", StringComparison.Ordinal)) continue;
            var key = string.Concat(name[5..].Split('_').Select(p => p.Length == 0 ? "" : p[..1] + p[1..].ToLowerInvariant()));
            if (Switches.Values.Contains(key, StringComparer.OrdinalIgnoreCase)) fromEnvironment[key] = (string?)entry.Value ?? "";
        }

        var fromArgs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string name, value;
            var eq = arg.IndexOf('=');
            name = arg.StartsWith("--") && eq > 0 ? arg[..eq] : arg;
            if (!Switches.TryGetValue(name, out var key))
                throw new SettingsException($"unknown option '{arg}'; known options: {string.Join(", ", Switches.Keys)}");
            if (name != arg) value = arg[(eq + 1)..];
            else if (name == "--auto-register") value = "true";
            else if (i + 1 < args.Length) value = args[++i];
            else throw new SettingsException($"option {name} needs a value");
            fromArgs[key] = value;
        }

        // A lab file sits between appsettings.json and the environment: switches still win over it.
        var values = new Dictionary<string, string>(fromAppSettings, StringComparer.OrdinalIgnoreCase);
        string? Pick(string key) =>
            fromArgs.TryGetValue(key, out var a) ? a : fromEnvironment.TryGetValue(key, out var e) ? e : values.GetValueOrDefault(key);
        if (Pick("Lab") is { Length: > 0 } lab)
            foreach (var (key, value) in LabFile.Settings(lab, Pick("NodeName") ?? Dns.GetHostName()))
                values[key] = value;
        foreach (var (key, value) in fromEnvironment) values[key] = value;
        foreach (var (key, value) in fromArgs) values[key] = value;

        var s = new NodeSettings();
        foreach (var (key, value) in values)
        {
            s = key.ToLowerInvariant() switch
            {
                "nodename" => s with { NodeName = ValidNodeName(value) },
                "httphost" => s with { HttpHost = Host(value, "--http-host") },
                "httpport" => s with { HttpPort = Port(value, "--http-port") },
                "akkahost" => s with { AkkaHost = Host(value, "--akka-host") },
                "akkapublichost" => s with { AkkaPublicHost = value.Length == 0 ? null : Host(value, "--akka-public-host") },
                "akkaport" => s with { AkkaPort = Port(value, "--akka-port") },
                "seeds" => s with { Seeds = SeedList(value) },
                "roles" => s with { Roles = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "datadir" => s with { DataDir = value.Length > 0 ? value : throw new SettingsException("--data-dir must not be empty") },
                "autoregister" => s with { AutoRegister = Flag(value, "--auto-register") },
                "configdir" => s with { ConfigDir = value },
                "lab" => s,
                "heartbeatintervalms" => s with { HeartbeatIntervalMs = Positive(value, "--heartbeat-interval-ms") },
                "heartbeattimeoutms" => s with { HeartbeatTimeoutMs = Positive(value, "--heartbeat-timeout-ms") },
                "inferencequeue" => s with { InferenceQueue = Positive(value, "--inference-queue") },
                "fairshareslack" => s with { FairShareSlack = NonNegative(value, "--fair-share-slack") },
                "profile" => s with { Profile = ProfileName(value) },
                "admintoken" => s with { AdminToken = value.Length == 0 ? null : value },
                "replicationintervalms" => s with { ReplicationIntervalMs = Positive(value, "--replication-interval-ms") },
                _ => s,
            };
        }
        if (s.HeartbeatTimeoutMs <= s.HeartbeatIntervalMs)
            throw new SettingsException($"--heartbeat-timeout-ms ({s.HeartbeatTimeoutMs}) must be longer than --heartbeat-interval-ms ({s.HeartbeatIntervalMs})");
        return s;
    }

    private static string ValidNodeName(string value)
    {
        if (value.Length == 0 || value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new SettingsException($"--node-name '{value}' must be 1-64 letters, digits, '-', '_' or '.'");
        return value;
    }

    private static string ProfileName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : throw new SettingsException($"--profile '{value}' must name a folder of cluster-config/profiles (default, ap, cp)");

    private static string Host(string value, string option) =>
        value.Length > 0 && Uri.CheckHostName(value) != UriHostNameType.Unknown
            ? value
            : throw new SettingsException($"{option} '{value}' is not a host name or IP address");

    private static int Port(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new SettingsException($"{option} '{value}' is not a port number (0-65535)");

    private static int Positive(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new SettingsException($"{option} '{value}' must be a positive whole number");

    private static int NonNegative(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new SettingsException($"{option} '{value}' must be a whole number, 0 or more");

    private static bool Flag(string value, string option) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new SettingsException($"{option} '{value}' must be true or false"),
    };

    private static IReadOnlyList<string> SeedList(string value)
    {
        var seeds = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var seed in seeds)
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0) throw new SettingsException($"--seeds entry '{seed}' must be host:port");
            Host(seed[..colon], "--seeds");
            var port = Port(seed[(colon + 1)..], "--seeds");
            if (port == 0) throw new SettingsException($"--seeds entry '{seed}' needs a real port, not 0");
        }
        return seeds;
    }
}
