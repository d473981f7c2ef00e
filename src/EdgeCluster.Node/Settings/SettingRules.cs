using System.Globalization;

namespace EdgeCluster.Node;

/// <summary>What each setting accepts, checked on the given text before binding, so a setting that cannot work is named in one line.</summary>
public static class SettingRules
{
    private static readonly Dictionary<string, Action<string, string>> Rules = new(StringComparer.OrdinalIgnoreCase)
    {
        [nameof(NodeSettings.NodeName)] = NodeName,
        [nameof(NodeSettings.HttpHost)] = Host,
        [nameof(NodeSettings.HttpPort)] = (v, o) => Port(v, o),
        [nameof(NodeSettings.AkkaHost)] = Host,
        [nameof(NodeSettings.AkkaPublicHost)] = (v, o) => { if (v.Length > 0) Host(v, o); },
        [nameof(NodeSettings.AkkaPort)] = (v, o) => Port(v, o),
        [nameof(NodeSettings.Seeds)] = Seeds,
        [nameof(NodeSettings.Roles)] = (_, _) => { },
        [nameof(NodeSettings.DataDir)] = (v, o) => { if (v.Length == 0) throw new SettingsException($"{o} must not be empty"); },
        [nameof(NodeSettings.AutoRegister)] = Flag,
        [nameof(NodeSettings.ConfigDir)] = (_, _) => { },
        [nameof(NodeSettings.Lab)] = (_, _) => { },
        [nameof(NodeSettings.ReplicationIntervalMs)] = Positive,
        [nameof(NodeSettings.ReplicationPush)] = Flag,
        [nameof(NodeSettings.HeartbeatIntervalMs)] = Positive,
        [nameof(NodeSettings.HeartbeatTimeoutMs)] = Positive,
        [nameof(NodeSettings.InferenceQueue)] = Positive,
        [nameof(NodeSettings.FairShareSlack)] = NonNegative,
        [nameof(NodeSettings.InferenceResultsKeepS)] = Positive,
        [nameof(NodeSettings.Profile)] = Profile,
        [nameof(NodeSettings.AdminToken)] = (_, _) => { },
        [nameof(NodeSettings.LimitPerAddress)] = NonNegative,
        [nameof(NodeSettings.LimitPerDevice)] = NonNegative,
        [nameof(NodeSettings.DeviceAuth)] = (v, o) => { if (!Http.DeviceAuth.IsMode(v)) throw new SettingsException($"{o} '{v}' must be off or tokens"); },
        [nameof(NodeSettings.MqttPort)] = (v, o) => Port(v, o),
        [nameof(NodeSettings.AlertHigh)] = Number,
        [nameof(NodeSettings.AlertLow)] = Number,
        [nameof(NodeSettings.Uplink)] = (v, _) => { if (v.Length > 0) Uplink.UplinkTarget.Parse(v); },
        [nameof(NodeSettings.UplinkPasswordFile)] = (_, _) => { },
        [nameof(NodeSettings.UplinkRate)] = NonNegative,
        [nameof(NodeSettings.UplinkBatch)] = Positive,
        [nameof(NodeSettings.Retention)] = (v, o) => Retention.RetentionPolicy.Parse(v, o),
        [nameof(NodeSettings.TlsDir)] = (_, _) => { },
        [nameof(NodeSettings.TlsValidateHostname)] = Flag,
        [nameof(NodeSettings.HttpsPort)] = (v, o) => Port(v, o),
        [nameof(NodeSettings.MqttTlsPort)] = (v, o) => Port(v, o),
    };

    public static void Check(IReadOnlyDictionary<string, string> values)
    {
        foreach (var (key, value) in values)
            if (Rules.TryGetValue(key, out var rule)) rule(value, NodeConfiguration.SwitchOf(key));
    }

    /// <summary>A comma-separated list as the settings take seeds and roles.</summary>
    public static IReadOnlyList<string> List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>What a node's name may be (also the name its certificate carries: edgectl certs).</summary>
    public static bool IsNodeName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void NodeName(string value, string option)
    {
        if (!IsNodeName(value)) throw new SettingsException($"{option} '{value}' must be 1-64 letters, digits, '-', '_' or '.'");
    }

    private static void Profile(string value, string option)
    {
        if (value.Length is 0 or > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new SettingsException($"{option} '{value}' must name a folder of cluster-config/profiles (default, ap, cp)");
    }

    private static void Host(string value, string option)
    {
        if (value.Length == 0 || Uri.CheckHostName(value) == UriHostNameType.Unknown)
            throw new SettingsException($"{option} '{value}' is not a host name or IP address");
    }

    private static int Port(string value, string option) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new SettingsException($"{option} '{value}' is not a port number (0-65535)");

    private static void Number(string value, string option)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n))
            throw new SettingsException($"{option} '{value}' must be a number");
    }

    private static void Positive(string value, string option)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new SettingsException($"{option} '{value}' must be a positive whole number");
    }

    private static void NonNegative(string value, string option)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new SettingsException($"{option} '{value}' must be a whole number, 0 or more");
    }

    private static void Flag(string value, string option)
    {
        if (!bool.TryParse(value, out _))
            throw new SettingsException($"{option} '{value}' must be true or false");
    }

    private static void Seeds(string value, string option)
    {
        foreach (var seed in List(value))
        {
            var colon = seed.LastIndexOf(':');
            if (colon <= 0) throw new SettingsException($"{option} entry '{seed}' must be host:port");
            Host(seed[..colon], option);
            if (Port(seed[(colon + 1)..], option) == 0) throw new SettingsException($"{option} entry '{seed}' needs a real port, not 0");
        }
    }
}
