using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Actors.Replication;

/// <summary>How a member replicates readings: how often it pulls, and how many readings at most per pull.</summary>
public sealed record ReplicationSettings(TimeSpan Interval, int MaxBatch)
{
    public static readonly ReplicationSettings Default = new(TimeSpan.FromMilliseconds(500), 20_000);

    /// <summary>How long a pull may go unanswered before the member pulls from another peer.</summary>
    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Where this member's HTTP API answers, known once Kestrel has bound its port.</summary>
public sealed class SelfInfo(string nodeName)
{
    public string NodeName { get; } = nodeName;
    public string HttpUrl { get; set; } = "";
    public MemberInfo ToMemberInfo() => new(NodeName, HttpUrl);
}

/// <summary>
/// Anti-entropy for readings. Every interval the member sends its version vector to one random
/// reachable member and applies, through the read-model writer, the runs of each origin's stream
/// that it lacks; when a pull came back full it pulls again at once. It answers other members'
/// pulls from its read model. An unreachable member is simply not chosen, so replication pauses
/// during a partition and resumes after it; applying is idempotent, so a repeated pull is harmless.
/// </summary>
public sealed class ReplicatorActor : ReceiveActor, IWithTimers
{
    public const string Name = "replicator";
    private sealed record Tick;
    private sealed record PullTimedOut(long Attempt);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ReadModelStore _store;
    private readonly IActorRef _writer;
    private readonly ReplicationSettings _settings;
    private readonly SelfInfo _self;
    private readonly Random _random = new();
    private readonly Dictionary<Address, MemberInfo> _members = new();
    private readonly Dictionary<string, long> _knownHighest = new();
    private bool _pulling;
    private long _attempt;
    private long _pulled;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplicatorActor(ReadModelStore store, IActorRef writer, ReplicationSettings settings, SelfInfo self)
    {
        _store = store;
        _writer = writer;
        _settings = settings;
        _self = self;

        Receive<Tick>(_ => PullFromRandomPeer());
        Receive<Pull>(pull =>
        {
            Learn(Sender.Path.Address, pull.From, pull.Vector);
            var groups = _store.ReadingsAfter(pull.Vector, Math.Min(pull.Max, _settings.MaxBatch));
            Sender.Tell(new PullResult(_self.ToMemberInfo(), _store.VersionVector(), groups));
        });
        Receive<PullResult>(result =>
        {
            Learn(Sender.Path.Address, result.From, result.Vector);
            if (result.Groups.Count == 0)
            {
                _pulling = false;
                return;
            }
            _writer.Tell(new ApplyReplicated(result.Groups, Self));
        });
        Receive<ReplicatedApplied>(applied =>
        {
            _pulling = false;
            _pulled += applied.Inserted;
            // A full batch means the peer may hold more: catching up does not wait for the next tick.
            if (applied.Received >= _settings.MaxBatch) PullFromRandomPeer();
        });
        Receive<PullTimedOut>(t =>
        {
            if (t.Attempt == _attempt) _pulling = false;
        });
        Receive<GetStatus>(_ => Sender.Tell(new ReplicationStatus(_store.VersionVector(), new Dictionary<string, long>(_knownHighest),
            new Dictionary<Address, MemberInfo>(_members) { [_cluster.SelfAddress] = _self.ToMemberInfo() }, _pulled)));
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", new Tick(), _settings.Interval);

    private void PullFromRandomPeer()
    {
        if (_pulling) return;
        var state = _cluster.State;
        var peers = state.Members
            .Where(m => m.Status == MemberStatus.Up && m.Address != _cluster.SelfAddress && !state.Unreachable.Contains(m))
            .ToList();
        if (peers.Count == 0) return;
        var peer = peers[_random.Next(peers.Count)];
        _pulling = true;
        _attempt++;
        Context.ActorSelection(new RootActorPath(peer.Address) / "user" / Name)
            .Tell(new Pull(_self.ToMemberInfo(), _store.VersionVector(), _settings.MaxBatch));
        Timers.StartSingleTimer("pull-timeout", new PullTimedOut(_attempt), _settings.PullTimeout);
    }

    private void Learn(Address address, MemberInfo info, IReadOnlyDictionary<string, long> vector)
    {
        _members[address] = info;
        foreach (var (origin, highest) in vector)
            if (!_knownHighest.TryGetValue(origin, out var known) || highest > known) _knownHighest[origin] = highest;
    }
}

public static class ReplicatorHosting
{
    public static AkkaConfigurationBuilder AddReplication(this AkkaConfigurationBuilder builder, ReplicationSettings settings) =>
        builder
            .AddReplicationSerializer()
            .WithActors((system, registry, resolver) =>
            {
                var store = resolver.GetService<ReadModelStore>();
                var self = resolver.GetService<SelfInfo>();
                var writer = registry.Get<ReadModelWriterActor>();
                var props = Props.Create(() => new ReplicatorActor(store, writer, settings, self));
                registry.Register<ReplicatorActor>(system.ActorOf(props, ReplicatorActor.Name));
            });
}
