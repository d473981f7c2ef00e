using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;
using EdgeCluster.Domain;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Actors.Replication;

/// <summary>
/// Replication of readings: push, with anti-entropy behind it. Each group this member's journal writes is offered at
/// once to every reachable member, which applies it when it continues what it holds of that origin (a group past a gap
/// waits for a pull). Every interval the member sends its version vector to one random
/// reachable member and applies, through the read-model writer, the runs of each origin's stream
/// that it lacks; when a pull comes back full, the next one goes at once, before that reply is applied, so a member
/// catching up writes one batch while the peer reads the next. It answers other members'
/// pulls from its read model. An unreachable member is simply not chosen, so replication pauses during a partition and
/// resumes after it; applying is idempotent, so a repeated pull is harmless. Strong writes and reads:
/// ReplicatorActor.Strong.cs.
/// </summary>
public sealed partial class ReplicatorActor : ReceiveActor, IWithTimers
{
    public const string Name = "replicator";
    private sealed record Tick;
    private sealed class PushNow
    {
        public static readonly PushNow Instance = new();
    }
    private sealed record PullTimedOut(long Attempt);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextPullId;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ReadModelStore _store;
    private readonly IActorRef _writer;
    private readonly ReplicationSettings _settings;
    private readonly Random _random = new();
    private readonly Dictionary<string, long> _knownHighest = new();
    private Address? _pullingFrom;
    // The pulls of the round with _pullingFrom still unanswered or being applied: a full reply is followed at once by the
    // next pull (sent before the reply is applied), so the peer reads the next batch while this member writes this one.
    private readonly HashSet<long> _round = new();
    private IReadOnlyDictionary<string, long> _roundVector = new Dictionary<string, long>();
    private long _attempt;
    private long _pulled;
    private readonly List<ReadingsJournaled> _outbox = new();
    // Pushes that arrived while the writer applied the previous ones: applied together next, in one transaction.
    private readonly List<ReadingsJournaled> _pushedIn = new();
    private Address? _pushSource;
    private bool _applyingPushes;
    private int _outboxReadings;
    private bool _underLoad;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplicatorActor(ReadModelStore store, IActorRef writer, ReplicationSettings settings)
    {
        _store = store;
        _writer = writer;
        _settings = settings;

        Receive<ReadModel.ReadModelProtocol.GroupJournaled>(journaled =>
        {
            if (!_settings.Push) return;
            _outbox.Add(journaled.Group);
            _outboxReadings += journaled.Group.Readings.Count;
            if (_outboxReadings >= _settings.PushReadings) PushOutbox();
            else if (_outbox.Count == 1)
                Timers.StartSingleTimer("push", PushNow.Instance, _underLoad ? _settings.PushWindowUnderLoad : _settings.PushWindow);
        });
        Receive<PushNow>(_ => PushOutbox());
        Receive<Pushed>(pushed =>
        {
            Learn(pushed.Groups.GroupBy(g => g.OriginNode).ToDictionary(g => g.Key, g => g.Max(x => x.LastOriginSeq)));
            _pushedIn.AddRange(pushed.Groups);
            _pushSource = Sender.Path.Address;
            if (!_applyingPushes) ApplyPushes();
        });
        Receive<Tick>(_ =>
        {
            // A requester that is gone no longer waits: its strong write timed out long ago.
            _syncs.RemoveAll(s => DateTime.UtcNow - s.Since > TimeSpan.FromSeconds(30));
            PullFromRandomPeer();
        });
        Receive<Pull>(pull =>
        {
            Learn(pull.Vector);
            var (vector, expired, groups) = _store.Replication.Serve(pull.Vector, Math.Min(pull.Max, _settings.MaxBatch));
            Sender.Tell(new PullResult(vector, groups) { Expired = expired, PullId = pull.Id });
        });
        Receive<PullResult>(result =>
        {
            var source = Sender.Path.Address;
            Learn(result.Vector);
            if (_round.Contains(result.PullId) && source == _pullingFrom && result.ReadingCount >= _settings.MaxBatch)
                PullNextAfter(result);
            if (result.Groups.Count == 0 && result.Expired.Count == 0)
            {
                Applied(new ReplicatedApplied(0, 0, source) { PullId = result.PullId });
                return;
            }
            var durable = _syncs.Any(s => s.Source == source);
            _writer.Tell(new ApplyReplicated(result.Groups, Self, source, durable) { Expired = result.Expired, PullId = result.PullId });
        });
        Receive<ReplicatedApplied>(Applied);
        Receive<PullTimedOut>(t =>
        {
            if (t.Attempt != _attempt) return;
            _pullingFrom = null;
            _round.Clear();
        });

        ReceiveStrongOperations();
        Receive<GetStatus>(_ => Sender.Tell(new ReplicationStatus(_store.Replication.VersionVector(),
            new Dictionary<string, long>(_knownHighest), _pulled)));
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", new Tick(), _settings.Interval);
        Context.System.EventStream.Subscribe(Self, typeof(ReadModel.ReadModelProtocol.GroupJournaled));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void Applied(ReplicatedApplied applied)
    {
        if (applied.Pushed)
        {
            _applyingPushes = false;
            ApplyPushes();
            EdgeMetrics.ReadingsPushed(applied.Inserted);
            // A strong write elsewhere may be waiting for this member to hold what the push brought, durably: only a push
            // applied with synchronous=FULL (one that came while that member's sync request waited) answers it.
            if (applied.Durable) AnswerSyncs();
            // A push past a gap: the gap is filled by pulling from the member that pushed, now rather than at the next tick.
            if (applied.Gapped > 0 && _pullingFrom is null) PullFrom(applied.Source);
            return;
        }
        _pulled += applied.Inserted;
        EdgeMetrics.ReadingsPulled(applied.Inserted);
        EdgeMetrics.ReplicationLag(_store.Replication.VersionVector(), _knownHighest);
        ProgressReads(applied);
        var syncPending = !AnswerSyncs() && _syncs.Any(s => s.Source == applied.Source);
        if (syncPending && applied.Received > 0)
            Replicator(applied.Source).Tell(NewPull());
        // The round ends when its last pull, one that came back less than full, is applied.
        if (applied.Source != _pullingFrom || !_round.Remove(applied.PullId) || _round.Count > 0) return;
        _pullingFrom = null;
    }

    // A member still joining (or weakly up while another is unreachable) already serves and applies pulls.
    private List<Member> ReachablePeers()
    {
        var state = _cluster.State;
        return state.Members
            .Where(m => (m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
                        && m.Address != _cluster.SelfAddress && !state.Unreachable.Contains(m))
            .ToList();
    }

    private Pull NewPull() => new(_store.Replication.VersionVector(), _settings.MaxBatch) { Id = ++_nextPullId };

    private ActorSelection Replicator(Address address) => Context.ActorSelection(new RootActorPath(address) / "user" / Name);

    /// <summary>
    /// Every push that arrived since the writer last took some, in one transaction: at a trickle each push is applied as it
    /// comes; under load they gather while the writer works (each transaction also updates every device's row and rollup).
    /// </summary>
    private void ApplyPushes()
    {
        if (_pushedIn.Count == 0) return;
        _applyingPushes = true;
        // While a strong write of the pusher waits for this member, its push is committed as durably as its pull would be.
        var durable = _syncs.Any(s => s.Source == _pushSource);
        _writer.Tell(new ApplyReplicated(_pushedIn.ToList(), Self, _pushSource!, durable) { Pushed = true });
        _pushedIn.Clear();
    }

    /// <summary>What gathered since the last push, in one message to every reachable member.</summary>
    private void PushOutbox()
    {
        Timers.Cancel("push");
        if (_outbox.Count == 0) return;
        var push = new Pushed(_outbox.ToList());
        _underLoad = _outboxReadings >= _settings.PushLoadReadings;
        _outbox.Clear();
        _outboxReadings = 0;
        foreach (var peer in ReachablePeers()) Replicator(peer.Address).Tell(push);
    }

    private void PullFromRandomPeer()
    {
        if (_pullingFrom is not null) return;
        var peers = ReachablePeers();
        if (peers.Count == 0) return;
        PullFrom(peers[_random.Next(peers.Count)].Address);
    }

    private void PullFrom(Address peer)
    {
        _pullingFrom = peer;
        _round.Clear();
        SendRoundPull(peer, NewPull());
    }

    /// <summary>
    /// A full reply means the peer may hold more: the next pull goes now, asking for what follows this reply (its vector
    /// is what this member will hold once the replies of this round are applied), not after it is applied.
    /// </summary>
    private void PullNextAfter(PullResult result)
    {
        var vector = new Dictionary<string, long>(_roundVector);
        foreach (var (origin, highest) in _store.Replication.VersionVector())
            if (highest > vector.GetValueOrDefault(origin)) vector[origin] = highest;
        foreach (var group in result.Groups)
            if (group.LastOriginSeq > vector.GetValueOrDefault(group.OriginNode)) vector[group.OriginNode] = group.LastOriginSeq;
        SendRoundPull(_pullingFrom!, new Pull(vector, _settings.MaxBatch) { Id = ++_nextPullId });
    }

    private void SendRoundPull(Address peer, Pull pull)
    {
        _round.Add(pull.Id);
        _roundVector = pull.Vector;
        _attempt++;
        Replicator(peer).Tell(pull);
        Timers.StartSingleTimer("pull-timeout", new PullTimedOut(_attempt), _settings.PullTimeout);
    }

    private void Learn(IReadOnlyDictionary<string, long> vector)
    {
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
                var writer = registry.Get<ReadModelWriterActor>();
                var props = Props.Create(() => new ReplicatorActor(store, writer, settings));
                registry.Register<ReplicatorActor>(system.ActorOf(props, ReplicatorActor.Name));
            });
}
