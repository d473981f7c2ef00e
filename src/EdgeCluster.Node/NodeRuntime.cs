using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Actors.Partition;

namespace EdgeCluster.Node;

/// <summary>
/// What outlives one actor system of a node: the links its partition controller has cut, the members it has
/// seen (where a downed node asks to join again) and why its last actor system ended.
/// </summary>
public sealed class NodeRuntime
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _knownPeers = new(StringComparer.Ordinal);

    public PartitionTable Partitions { get; } = new();

    /// <summary>The newest log lines, across the process's actor systems.</summary>
    public Logging.RecentLogs Logs { get; } = new();

    /// <summary>1 for the first actor system of this process, then one more for each rejoin.</summary>
    public int Incarnation { get; internal set; } = 1;

    /// <summary>When the cluster last removed this member without it asking to leave.</summary>
    public DateTimeOffset? LastRemovedAt { get; internal set; }

    /// <summary>Set when this member leaves on request: the process then stops instead of rejoining.</summary>
    public bool LeaveRequested { get; set; }

    internal bool RejoinRequested { get; set; }

    /// <summary>The actor system of the current incarnation, once it exists.</summary>
    internal ActorSystem? System { get; set; }

    /// <summary>How long a node waits before it starts again after a failed TLS handshake (a refused node retries at this pace).</summary>
    internal static readonly TimeSpan TlsRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>host:port of every other member this process has seen, across its actor systems.</summary>
    public IReadOnlyList<string> KnownPeers
    {
        get { lock (_gate) return _knownPeers.Order(StringComparer.Ordinal).ToList(); }
    }

    internal void RememberPeers(IEnumerable<string> peers)
    {
        lock (_gate)
            foreach (var p in peers) _knownPeers.Add(p);
    }

    internal void SawMembers(IEnumerable<Address> members, Address self)
    {
        lock (_gate)
            foreach (var a in members)
                if (a.Host is not null && a.Port is not null && !(a.Host == self.Host && a.Port == self.Port))
                    _knownPeers.Add($"{a.Host}:{a.Port}");
    }
}

/// <summary>
/// Watches this member's place in the cluster. When the cluster removes it (the split brain resolver downed it,
/// or an operator did), the node starts again with a new actor system on the same files and ports, because an
/// Akka.NET actor system that has been removed cannot join again.
/// </summary>
internal sealed class MembershipWatchService(ActorSystem system, NodeRuntime runtime, IHostApplicationLifetime lifetime,
    ILogger<MembershipWatchService> log) : IHostedService, IDisposable
{
    private Timer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(system);
        _timer = new Timer(_ => runtime.SawMembers(cluster.State.Members.Select(m => m.Address), cluster.SelfAddress),
            null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        cluster.RegisterOnMemberRemoved(() =>
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested || runtime.LeaveRequested) return;
            // SIGTERM runs Akka's coordinated shutdown (the member leaves) before the host hears of it: that is a stop,
            // not a removal to recover from. Downing has no reason yet, or the downing reason.
            var reason = CoordinatedShutdown.Get(system).ShutdownReason;
            if (reason is not null && reason is not CoordinatedShutdown.ClusterDowningReason) return;
            runtime.LastRemovedAt = DateTimeOffset.UtcNow;
            runtime.RejoinRequested = true;
            log.LogWarning("This member was removed from the cluster; starting again to rejoin through {Peers}",
                string.Join(", ", runtime.KnownPeers));
            lifetime.StopApplication();
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _timer?.Dispose();
}

/// <summary>Runs a node until it is stopped, starting it again whenever the cluster removed it.</summary>
public static class NodeRunner
{
    /// <param name="restartInPlace">
    /// Start each rejoin in a fresh image of this process (<see cref="InPlaceRestart"/>), as the node's own executable does;
    /// tests that run nodes inside their own process leave it off.
    /// </param>
    public static async Task RunAsync(NodeSettings settings, NodeRuntime? runtime = null, CancellationToken stop = default,
        bool restartInPlace = false)
    {
        NodeListeners? inherited = null;
        var handedOver = restartInPlace ? InPlaceRestart.Take(out inherited) : null;
        runtime ??= handedOver ?? new NodeRuntime();
        // Opened before the first actor system and kept until the process ends, so a restart refuses no connection.
        using var listeners = handedOver is not null ? inherited! : NodeListeners.Open(settings);
        var current = handedOver is null ? settings : settings with { Seeds = RejoinSeeds(settings, runtime) };
        while (true)
        {
            runtime.RejoinRequested = false;
            runtime.System = null;
            var app = NodeHost.Build(current, runtime: runtime, listeners: listeners);
            var store = app.Services.GetRequiredService<EdgeCluster.Storage.ReadModelStore>();
            var log = app.Services.GetRequiredService<ILogger<NodeRuntime>>();
            var tlsFailed = false;
            try
            {
                await app.RunAsync(stop);
                tlsFailed = await TlsHandshakeFailedAsync(runtime.System, log);
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // The actor system stopped while the node was still starting: its hosted services were cancelled or timed out.
                if (!await TlsHandshakeFailedAsync(runtime.System, log)) throw;
                tlsFailed = true;
            }
            finally
            {
                await app.DisposeAsync();
                store.Dispose();
                // The actor system that ran is gone; so must be what it left on the pool threads, or the next one piles up.
                if (runtime.System is { } system) ActorSystemLeftovers.Release(system);
            }
            if (tlsFailed && !stop.IsCancellationRequested)
            {
                await Task.Delay(NodeRuntime.TlsRetryDelay, stop);
                runtime.RejoinRequested = true;
            }
            if (!runtime.RejoinRequested || stop.IsCancellationRequested) return;
            runtime.Incarnation++;
            if (restartInPlace && InPlaceRestart.Supported)
            {
                try
                {
                    Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} info: {typeof(NodeRunner).FullName}[0] Starting actor system {runtime.Incarnation} in a fresh image of this process (same process id and sockets)");
                    InPlaceRestart.Exec(settings, runtime, listeners);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
                {
                    Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} warn: {typeof(NodeRunner).FullName}[0] Could not start in a fresh image ({e.Message}); starting again in this one");
                }
            }
            ActorSystemLeftovers.ReturnMemory();
            current = settings with { Seeds = RejoinSeeds(settings, runtime) };
        }
    }

    /// <summary>
    /// Akka.Remote stops the whole actor system when an outbound TLS handshake fails (a misconfigured member should not
    /// run half-connected). A node should not end for that: a member reached while it restarts, or a node of another lab,
    /// must not take this one down for good. So the node starts again, as after a downing; a node whose certificate the
    /// lab refuses keeps trying at <see cref="NodeRuntime.TlsRetryDelay"/>, and the members log why each time.
    /// </summary>
    private static async Task<bool> TlsHandshakeFailedAsync(ActorSystem? system, ILogger log)
    {
        if (system is null) return false;
        await system.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        if (reason is null || reason.GetType().Name != "TlsHandshakeFailureReason") return false;
        log.LogWarning("Remoting TLS: {Reason} (see the line before); Akka stops an actor system for that, so this node starts again in {Delay} s",
            reason, NodeRuntime.TlsRetryDelay.TotalSeconds);
        return true;
    }

    /// <summary>Every member seen and every configured seed, except this node: joining itself would start a second cluster.</summary>
    internal static IReadOnlyList<string> RejoinSeeds(NodeSettings settings, NodeRuntime runtime)
    {
        var self = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            $"{settings.AkkaHost}:{settings.AkkaPort}", $"{settings.AkkaPublicHost}:{settings.AkkaPort}",
            $"127.0.0.1:{settings.AkkaPort}", $"localhost:{settings.AkkaPort}", $"{System.Net.Dns.GetHostName()}:{settings.AkkaPort}",
        };
        return runtime.KnownPeers.Concat(settings.Seeds).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(s => !self.Contains(s)).ToList();
    }
}

/// <summary>What the chosen profile (cluster-config/profiles/&lt;name&gt;/akka.conf) sets besides Akka itself.</summary>
public sealed record ProfileSettings(string Name, bool StrongByDefault, string Downing, string DeviceAuth = "off")
{
    public static ProfileSettings From(string name, string hocon)
    {
        var config = Akka.Configuration.ConfigurationFactory.ParseString(hocon);
        var consistency = config.GetString("edgecluster.default-consistency", "eventual");
        if (consistency is not ("eventual" or "strong"))
            throw new SettingsException($"profile '{name}': edgecluster.default-consistency '{consistency}' must be eventual or strong");
        var downing = config.GetString("akka.cluster.downing-provider-class", "");
        var strategy = config.GetString("akka.cluster.split-brain-resolver.active-strategy", "");
        var deviceAuth = config.GetString("edgecluster.device-auth", "off");
        if (!Http.DeviceAuth.IsMode(deviceAuth))
            throw new SettingsException($"profile '{name}': edgecluster.device-auth '{deviceAuth}' must be off or tokens");
        return new ProfileSettings(name, consistency == "strong",
            string.IsNullOrWhiteSpace(downing) ? "none" : downing.Contains("SplitBrainResolver") ? $"split brain resolver ({strategy})" : downing,
            deviceAuth);
    }
}
