using System.Collections;
using System.Net;
using EdgeCluster.Actors.Inference;
using Microsoft.Extensions.Configuration;

namespace EdgeCluster.Node;

/// <summary>A setting that cannot work; the node stops at start with its message as one line.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// Everything one node needs to start, bound from configuration (<see cref="NodeConfiguration"/>: built-in defaults here,
/// appsettings.json's "Edge" section, a lab file, EDGE_* environment variables and command-line switches, lowest
/// precedence first) and checked by <see cref="SettingRules"/>. Each default lives here and nowhere else.
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
    /// <summary>
    /// Offer each group this member journals to the other members at once (readings on every member in ~30 ms instead of
    /// one to five pull intervals); the pulls every interval stay as the backstop. Off (<c>--replication-push off</c>):
    /// the pulls alone replicate, for an experiment that wants to see anti-entropy on its own.
    /// </summary>
    public bool ReplicationPush { get; init; } = true;
    /// <summary>How often this node's inference worker heartbeats, and how long the coordinator waits before it counts a worker offline.</summary>
    public int HeartbeatIntervalMs { get; init; } = (int)InferenceSettings.Default.HeartbeatInterval.TotalMilliseconds;
    public int HeartbeatTimeoutMs { get; init; } = (int)InferenceSettings.Default.HeartbeatTimeout.TotalMilliseconds;
    /// <summary>Tasks the coordinator queues before it answers 429.</summary>
    public int InferenceQueue { get; init; } = InferenceSettings.Default.QueueCapacity;
    /// <summary>Tasks a worker may be handed beyond the least-served alive worker; 0 = plain work-conserving round-robin.</summary>
    public int FairShareSlack { get; init; } = InferenceSettings.Default.FairShareSlack;
    /// <summary>How long every member keeps an ended task's result (GET /api/inference/{id} after the coordinator moved).</summary>
    public int InferenceResultsKeepS { get; init; } = (int)InferenceSettings.Default.ResultsKeep.TotalSeconds;
    /// <summary>cluster-config/profiles/&lt;name&gt;/akka.conf on top of akka.conf: default, ap or cp.</summary>
    public string Profile { get; init; } = "default";
    /// <summary>Bearer token the /api/admin endpoints require; without one they answer only on loopback.</summary>
    public string? AdminToken { get; init; }
    /// <summary>
    /// off: anyone on the network may post readings (the classroom default); tokens: a reading needs its device's token
    /// (HTTP Authorization: Bearer or token=, MQTT username and password), and registering devices the admin token.
    /// Unset: the profile's edgecluster.device-auth (off in the profiles shipped).
    /// </summary>
    public string? DeviceAuth { get; init; }
    /// <summary>Requests a second one client address (HTTP) or MQTT client may send to the ingest doors (burst: twice that); 0: no limit.</summary>
    public int LimitPerAddress { get; init; } = 2000;
    /// <summary>Readings a second one device may send (burst: ten times that); 0: no limit.</summary>
    public int LimitPerDevice { get; init; } = 5000;
    /// <summary>The MQTT door's TCP port (MQTT 3.1.1 and 5; also over WebSockets at /mqtt on the HTTP port); 0 turns the door off.</summary>
    public int MqttPort { get; init; } = 1883;
    /// <summary>A reading above this temperature (°C) is an alert on edge/alerts/{device} (the lab's subscriber: 30).</summary>
    public double AlertHigh { get; init; } = 30;
    /// <summary>A reading below this temperature (°C) is an alert (the lab's subscriber: 10).</summary>
    public double AlertLow { get; init; } = 10;
    /// <summary>The cloud PostgreSQL every reading is forwarded to, exactly once: postgres://user:password@host:5432/db. Off when unset.</summary>
    public string? Uplink { get; init; }
    /// <summary>A file whose first line is the uplink's password (instead of one in the URL).</summary>
    public string? UplinkPasswordFile { get; init; }
    /// <summary>Readings a second the uplink sends at most (a thin link stays usable); 0 = as fast as the cloud takes them.</summary>
    public int UplinkRate { get; init; }
    /// <summary>Readings the uplink sends in one transaction at most.</summary>
    public int UplinkBatch { get; init; } = 20_000;
    /// <summary>Tiered retention: off (everything kept), on (the lab's tiers) or hot=24h,warm=7d,cold=30d,archive=parquet|off,every=1m.</summary>
    public string Retention { get; init; } = "off";
    /// <summary>
    /// A folder made by <c>edgectl certs init</c>: with it, remoting runs over TLS with mutual authentication against the
    /// folder's lab CA (<c>ca.crt</c>, and this node's <c>&lt;node-name&gt;.pfx</c>); only nodes with a certificate of that
    /// CA can join. Unset: plain remoting (the classroom default).
    /// </summary>
    public string? TlsDir { get; init; }
    /// <summary>Remoting TLS also checks that a member's certificate names the host it was reached at (off: the CA alone decides).</summary>
    public bool TlsValidateHostname { get; init; }
    /// <summary>HTTPS with the node's certificate from --tls-dir, beside plain HTTP; 0: off.</summary>
    public int HttpsPort { get; init; }
    /// <summary>MQTT over TLS (8883 by convention) with the node's certificate from --tls-dir, beside plain MQTT; 0: off.</summary>
    public int MqttTlsPort { get; init; }
    /// <summary>A lab file (cluster-config/labs/*.json) whose shared and per-node settings this node takes.</summary>
    public string? Lab { get; init; }

    /// <summary>The uplink's connection, or null when there is none.</summary>
    public Uplink.UplinkTarget? UplinkTarget() => Uplink is null ? null : Node.Uplink.UplinkTarget.Parse(Uplink, UplinkPasswordFile);

    /// <summary>The retention policy, or null when retention is off.</summary>
    public Node.Retention.RetentionPolicy? RetentionPolicy() => Node.Retention.RetentionPolicy.Parse(Retention);

    public string JournalPath => System.IO.Path.Combine(DataDir, "journal.db");
    public string ReadModelPath => System.IO.Path.Combine(DataDir, "readings.db");

    /// <summary>The durable replicated data (key-value store, open inference tasks): cluster-config/akka.conf names the keys.</summary>
    public string ReplicatedDataPath => System.IO.Path.Combine(DataDir, "ddata.db");

    /// <summary>The node's settings from appsettings.json beside the program, the environment and the switches.</summary>
    public static NodeSettings Load(string[] args, IDictionary environment, string appSettingsFile) =>
        From(NodeConfiguration.Build(args, environment, b => b.AddJsonFile(appSettingsFile, optional: true)));

    /// <summary>As <see cref="Load(string[], IDictionary, string)"/>, with the appsettings "Edge" section given as keys and values.</summary>
    public static NodeSettings Load(string[] args, IDictionary environment, IReadOnlyDictionary<string, string?>? appSettings = null) =>
        From(NodeConfiguration.Build(args, environment, b => b.AddInMemoryCollection(
            (appSettings ?? new Dictionary<string, string?>()).Select(kv => KeyValuePair.Create($"{NodeConfiguration.Section}:{kv.Key}", kv.Value)))));

    /// <summary>Checks every given value (one line naming the setting when one cannot work), then binds them.</summary>
    public static NodeSettings From(IConfigurationSection section)
    {
        var values = NodeConfiguration.Values(section);
        SettingRules.Check(values);
        var settings = new NodeSettings();
        section.Bind(settings, o => o.ErrorOnUnknownConfiguration = false);
        settings = settings with
        {
            Seeds = values.TryGetValue(nameof(Seeds), out var seeds) ? SettingRules.List(seeds) : settings.Seeds,
            Roles = values.TryGetValue(nameof(Roles), out var roles) ? SettingRules.List(roles) : settings.Roles,
            AkkaPublicHost = string.IsNullOrEmpty(settings.AkkaPublicHost) ? null : settings.AkkaPublicHost,
            AdminToken = string.IsNullOrEmpty(settings.AdminToken) ? null : settings.AdminToken,
            Uplink = string.IsNullOrEmpty(settings.Uplink) ? null : settings.Uplink,
            UplinkPasswordFile = string.IsNullOrEmpty(settings.UplinkPasswordFile) ? null : settings.UplinkPasswordFile,
            TlsDir = string.IsNullOrEmpty(settings.TlsDir) ? null : settings.TlsDir,
        };
        if (settings.TlsDir is null && (settings.HttpsPort != 0 || settings.MqttTlsPort != 0))
            throw new SettingsException($"--{(settings.HttpsPort != 0 ? "https-port" : "mqtt-tls-port")} needs --tls-dir (the certificates it serves; make them with: edgectl certs init)");
        // Read now, so a URL or password file that cannot work stops the node at start with one line.
        _ = settings.UplinkTarget();
        if (settings.AlertLow >= settings.AlertHigh)
            throw new SettingsException($"--alert-low ({settings.AlertLow}) must be below --alert-high ({settings.AlertHigh})");
        if (settings.HeartbeatTimeoutMs <= settings.HeartbeatIntervalMs)
            throw new SettingsException($"--heartbeat-timeout-ms ({settings.HeartbeatTimeoutMs}) must be longer than --heartbeat-interval-ms ({settings.HeartbeatIntervalMs})");
        return settings;
    }
}
