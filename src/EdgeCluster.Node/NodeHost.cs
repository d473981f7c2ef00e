using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Actors.KeyValue;
using EdgeCluster.Actors.Partition;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Actors.Replication;
using EdgeCluster.Node.Http;
using EdgeCluster.Node.Mqtt;
using MQTTnet.AspNetCore;
using EdgeCluster.Storage;
using LinqToDB;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Node;

/// <summary>Builds one node: its storage, its actor system and its HTTP edge. Program.cs and the tests both start nodes here.</summary>
public static class NodeHost
{
    public const string ActorSystemName = "edgecluster";
    /// <summary>Every node loads the throttler adapter (cluster-config/akka.conf), so addresses read akka.trttl.tcp.</summary>
    public const string AkkaProtocol = "akka.trttl.tcp";
    /// <summary>The same over TLS (--tls-dir).</summary>
    public const string AkkaTlsProtocol = "akka.trttl.ssl.tcp";
    public const string QueryPluginId = "akka.persistence.query.journal.sql";
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Open connections a node takes at most, HTTP and MQTT together (Kestrel's limit; more wait in the backlog).</summary>
    public const int MaxConnections = 1000;

    /// <param name="listeners">The process's listening sockets, kept open across actor systems (see <see cref="SharedListenSocket"/>);
    /// without them the node opens its own for this host, and Kestrel binds a port that has no socket.</param>
    public static WebApplication Build(NodeSettings settings, Action<ILoggingBuilder>? logging = null, NodeRuntime? runtime = null,
        NodeListeners? listeners = null)
    {
        runtime ??= new NodeRuntime();
        var hocon = LoadHocon(settings);
        var tls = Security.NodeTls.From(settings);
        var profile = ProfileSettings.From(settings.Profile, hocon);
        Directory.CreateDirectory(settings.DataDir);
        PrepareJournalFile(settings.JournalPath);

        // The HTTP port is bound before the actor system starts, so the member's HTTP URL can travel in its join.
        var owned = listeners is null ? NodeListeners.Open(settings) : null;
        listeners ??= owned!;
        var http = listeners.Http;
        var self = new SelfInfo(settings.NodeName) { HttpUrl = http is null ? "" : PublicHttpUrl(settings, http.Port) };

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        ConfigureLogging(builder.Logging);
        logging?.Invoke(builder.Logging);
        builder.Logging.AddProvider(runtime.Logs);
        builder.Services.AddSingleton(runtime.Logs);
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = 2 * MaxBodyBytes;
            k.AddServerHeader = false;
            // So that slow or many clients cannot hold a Pi's sockets (docs/security.md): connections (HTTP, MQTT, SSE and
            // WebSockets together; the unit file allows 4096 descriptors), headers within 10 s, at least 240 bytes/s of
            // a request body after 5 s, idle keep-alive connections closed after a minute, headers at most 16 KB.
            k.Limits.MaxConcurrentConnections = MaxConnections;
            k.Limits.MaxConcurrentUpgradedConnections = MaxConnections / 2;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, TimeSpan.FromSeconds(5));
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            k.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            if (http is not null) k.ListenHandle(http.Duplicate());
            Listen(k, settings, listeners.Mqtt, settings.MqttPort, l =>
            {
                l.UseMqttPacketLimit();
                l.UseMqtt();
            });
            if (tls is not null)
            {
                Listen(k, settings, listeners.Https, settings.HttpsPort, l => l.UseHttps(tls.Certificate));
                Listen(k, settings, listeners.MqttTls, settings.MqttTlsPort, l =>
                {
                    l.UseHttps(tls.Certificate);
                    l.UseMqttPacketLimit();
                    l.UseMqtt();
                });
            }
        });
        if (http is null) builder.WebHost.UseUrls($"http://{(settings.HttpHost == "0.0.0.0" ? "*" : settings.HttpHost)}:{settings.HttpPort}");

        var ingest = new IngestSettings(settings.NodeName, settings.AutoRegister);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton(profile);
        builder.Services.AddSingleton(ingest);
        if (tls is not null) builder.Services.AddSingleton(tls);
        // Opened here, not on first use, so that a file the node cannot use stops it at start with one line.
        builder.Services.AddSingleton(new ReadModelStore(settings.ReadModelPath));
        builder.Services.AddSingleton(self);
        var drops = new ConnectionDrops();
        builder.Services.AddSingleton(drops);
        builder.Services.AddSingleton<DeviceStatus>();
        builder.Services.AddSingleton(sp => new MemberDirectory(sp.GetRequiredService<ActorSystem>(), runtime.Partitions,
            settings.NodeName, () => self.HttpUrl));
        builder.Services.ConfigureHttpJsonOptions(o => EdgeCluster.Contracts.ApiJson.Configure(o.SerializerOptions));

        var seeds = settings.Seeds.Select(s => $"{(tls is null ? AkkaProtocol : AkkaTlsProtocol)}://{ActorSystemName}@{s}").ToArray();
        // A member that starts again with links cut applies them again and joins once they are healed.
        var joinWhenHealed = seeds.Length > 0 && runtime.Partitions.Cuts.Count > 0;
        builder.Services.AddAkka(ActorSystemName, (akka, _) => akka
            .AddHocon(hocon, HoconAddMode.Prepend)
            .AddHocon($"akka.cluster.distributed-data.durable.sqlite.path = {System.Text.Json.JsonSerializer.Serialize(settings.ReplicatedDataPath)}",
                HoconAddMode.Prepend)
            // Akka's lines go through Microsoft.Extensions.Logging, so they look like ASP.NET Core's and reach /api/admin/logs.
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLogger<Logging.AkkaLogBridge>();
            })
            .WithRemoting(new RemoteOptions
            {
                HostName = settings.AkkaHost,
                PublicHostName = settings.AkkaPublicHost ?? PublicHostFor(settings.AkkaHost),
                Port = settings.AkkaPort,
                EnableSsl = tls is not null,
                Ssl = tls?.RemotingSsl() ?? new SslOptions(),
            })
            .WithClustering(new ClusterOptions
            {
                Roles = settings.Roles.Concat(MemberRoles.For(settings.NodeName, self.HttpUrl)).ToArray(),
                SeedNodes = joinWhenHealed ? [] : seeds,
            })
            .WithSqlPersistence(JournalConnections.Options(settings.JournalPath, JournalConnections.BusyTimeoutFor(ingest.RequestTimeout)), autoInitialize: true)
            .AddJournalSerializer()
            .AddReadModelWriter()
            .AddReadingJournal(ingest)
            .AddDeviceActors(ingest)
            .AddDeviceRegistry()
            .AddConnectionDrops(drops)
            .AddKeyValueStore(settings.NodeName)
            .AddInference(settings.NodeName, settings.Roles, InferenceSettings.Default with
            {
                HeartbeatInterval = TimeSpan.FromMilliseconds(settings.HeartbeatIntervalMs),
                HeartbeatTimeout = TimeSpan.FromMilliseconds(settings.HeartbeatTimeoutMs),
                QueueCapacity = settings.InferenceQueue,
                FairShareSlack = settings.FairShareSlack,
                ResultsKeep = TimeSpan.FromSeconds(settings.InferenceResultsKeepS),
            })
            .AddPartitionController(runtime.Partitions)
            .AddMembershipLog()
            .AddReplication(ReplicationSettings.Default with
            {
                Interval = TimeSpan.FromMilliseconds(settings.ReplicationIntervalMs),
                Push = settings.ReplicationPush,
            })
            .AddNodeHealthChecks()
            .AddStartup((system, _) =>
            {
                runtime.System = system;
                var journal = system.Settings.Config.GetConfig("akka.persistence.journal.sql");
                system.Log.Info("Reading journal on {0}, parallelism {1}, reads {2}", settings.JournalPath, journal.GetInt("parallelism"), journal.GetString("read-isolation-level"));
                // With no seeds a node is a one-member cluster: it joins itself.
                if (settings.Seeds.Count == 0) Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
                else if (joinWhenHealed)
                    system.ActorOf(Props.Create(() => new JoinWhenHealedActor(runtime.Partitions, seeds.Select(Address.Parse).ToList())), "join-when-healed");
            }));

        builder.Services.AddHostedService<ReadModelCatchUpService>();
        builder.Services.AddHostedService<MembershipWatchService>();
        builder.Services.AddHostedService<ReadyLogService>();
        builder.Services.AddSingleton<Http.EventHub>();
        builder.Services.AddSingleton<ReachabilityLog>();
        builder.Services.AddHostedService<EventHubService>();
        builder.Services.AddSingleton<DeviceStatusWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DeviceStatusWatch>());
        var uplink = settings.UplinkTarget();
        builder.Services.AddSingleton(new Uplink.UplinkStatus(uplink, settings.UplinkRate));
        if (uplink is not null) builder.Services.AddHostedService<Uplink.UplinkService>();
        if (settings.RetentionPolicy() is { } retention)
        {
            builder.Services.AddSingleton(retention);
            builder.Services.AddSingleton<Retention.RetentionService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Retention.RetentionService>());
        }
        builder.Services.AddSingleton<Disk.StorageMonitor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Disk.StorageMonitor>());
        builder.Services.AddOpenApi();
        builder.AddObservability(new Observability.ReadModelReadiness());
        builder.Services.AddSingleton<LocalLinks>();
        builder.Services.AddSingleton<DeviceAuth>();
        builder.Services.AddSingleton<IngestLimits>();
        builder.Services.AddSingleton<AdminFanOut>();
        builder.Services.AddHttpClient(AdminFanOut.ClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        if (settings.MqttPort != 0) builder.AddMqttDoor();

        var app = builder.Build();
        if (settings.MqttPort != 0) app.MapMqttDoor();
        app.MapObservability();
        app.MapEdgeApi();
        if (http is null)
            app.Lifetime.ApplicationStarted.Register(() => self.HttpUrl = PublicHttpUrl(settings, BoundPort(app)));
        if (owned is not null) app.Lifetime.ApplicationStopped.Register(owned.Dispose);
        return app;
    }

    /// <summary>
    /// One more port (MQTT, HTTPS, MQTT over TLS): the process's shared socket, or without one (not Linux or macOS, or a
    /// host name) bound as Kestrel binds the HTTP URL's host. Port 0: off.
    /// </summary>
    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k, NodeSettings settings,
        SharedListenSocket? socket, int port, Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure)
    {
        if (socket is not null) k.ListenHandle(socket.Duplicate(), configure);
        else if (port == 0) return;
        else if (System.Net.IPAddress.TryParse(settings.HttpHost, out var address)) k.Listen(address, port, configure);
        else if (settings.HttpHost == "localhost") k.ListenLocalhost(port, configure);
        else k.ListenAnyIP(port, configure);
    }

    /// <summary>
    /// One line per event in one format for Akka and ASP.NET Core alike. Akka's own start-up chatter is left out (warnings
    /// and errors stay); the membership log and the ready line say what a user needs.
    /// </summary>
    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.AddFilter("Akka", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
    }

    /// <summary>WAL is a property of the file; set it before the journal opens its first connection. And the index its recovery seeks by.</summary>
    private static void PrepareJournalFile(string path)
    {
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
        // An existing journal's index, before its recovery reads it; a new one's comes after catch-up (ReadModelCatchUpService).
        JournalConnections.EnsureSequenceIndex(path);
    }

    /// <summary>The URL other members and clients reach this node's HTTP API at, with the port Kestrel bound.</summary>
    private static string PublicHttpUrl(NodeSettings settings, int port)
    {
        var host = settings.HttpHost is "0.0.0.0" or "::" ? settings.AkkaPublicHost ?? PublicHostFor(settings.AkkaHost) : settings.HttpHost;
        return $"http://{host}:{port}";
    }

    private static int BoundPort(WebApplication app) =>
        new Uri(app.Urls.First().Replace("*", "localhost").Replace("[::]", "localhost").Replace("+", "localhost")).Port;

    private static string PublicHostFor(string bindHost) =>
        bindHost is "0.0.0.0" or "::" ? System.Net.Dns.GetHostName() : bindHost;

    /// <summary>cluster-config/akka.conf with the profile's akka.conf after it, so the profile's values win.</summary>
    private static string LoadHocon(NodeSettings settings)
    {
        var file = Path.Combine(settings.ConfigDir, "akka.conf");
        if (!File.Exists(file)) throw new SettingsException($"cluster configuration '{file}' not found (set --config-dir)");
        var profiles = Path.Combine(settings.ConfigDir, "profiles");
        var profile = Path.Combine(profiles, settings.Profile, "akka.conf");
        if (!File.Exists(profile))
        {
            var known = Directory.Exists(profiles) ? string.Join(", ", Directory.GetDirectories(profiles).Select(Path.GetFileName).Order()) : "none";
            throw new SettingsException($"--profile '{settings.Profile}' not found: no {profile} (profiles: {known})");
        }
        return File.ReadAllText(file) + "\n" + File.ReadAllText(profile);
    }
}

/// <summary>Starts the actor that feeds /api/events from the actor system.</summary>
internal sealed class EventHubService(ActorSystem system, Http.EventHub hub, ReachabilityLog reachability) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        system.ActorOf(Props.Create(() => new Http.EventHubFeed(hub, reachability)), "event-hub-feed");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Runs before Kestrel starts listening: the read model catches up with the journal, then the node serves.</summary>
internal sealed class ReadModelCatchUpService(ActorSystem system, ReadModelStore store, IngestSettings ingest, NodeSettings settings,
    Observability.ReadModelReadiness readiness, IRequiredActor<ReadModelWriterActor> writer, ILogger<ReadModelCatchUpService> log)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var groups = await ReadModelCatchUp.RunAsync(system, store, ingest.JournalPersistenceId, NodeHost.QueryPluginId,
            cancellationToken, await writer.GetAsync(cancellationToken));
        log.LogInformation("Read model caught up with the journal: {Groups} journal groups applied, offset {Offset}",
            groups, store.Writer.ProjectionOffset());
        // The journal has recovered, so its table exists: a new journal gets its index now (still empty, no doors open).
        if (JournalConnections.EnsureSequenceIndex(settings.JournalPath) is { } notIndexed)
            log.LogWarning("The journal's recovery index is missing ({Reason}); the next start tries again", notIndexed);
        readiness.CaughtUp = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
