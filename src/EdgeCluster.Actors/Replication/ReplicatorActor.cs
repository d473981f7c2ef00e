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
/// that it lacks; when a pull came back full it pulls again at once. It answers other members'
/// pulls from its read model. An unreachable member is simply not chosen, so replication pauses
/// during a partition and resumes after it; applying is idempotent, so a repeated pull is harmless.
/// </summary>
public sealed class ReplicatorActor : ReceiveActor, IWithTimers
{
    public const string Name = "replicator";
    private sealed record Tick;
    private sealed class PushNow
    {
        public static readonly PushNow Instance = new();
    }
    private sealed record PullTimedOut(long Attempt);
    private sealed record ConfirmTimedOut(long Id);
    private sealed record PendingConfirm(IActorRef ReplyTo, int Required, int Members, HashSet<Address> Acknowledged);
    private sealed record PendingSync(SyncRequest Request, IActorRef ReplyTo, Address Source, DateTime Since);
    /// <summary>A strong read: only replies to pulls numbered <paramref name="FirstPull"/> or later (sent after it began) count.</summary>
    private sealed record PendingRead(IActorRef ReplyTo, int Required, int Members, HashSet<Address> CaughtUp, HashSet<Address> Asked, long FirstPull);
    private sealed record ReadTimedOut(long Id);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _nextPullId;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ReadModelStore _store;
    private readonly IActorRef _writer;
    private readonly ReplicationSettings _settings;
    private readonly Random _random = new();
    private readonly Dictionary<string, long> _knownHighest = new();
    private readonly Dictionary<long, PendingConfirm> _confirms = new();
    private readonly List<PendingSync> _syncs = new();
    private readonly Dictionary<long, PendingRead> _reads = new();
    private Address? _pullingFrom;
    private long _attempt;
    private long _pulled;
    private readonly List<ReadingsJournaled> _outbox = new();
    // Pushes that arrived while the writer applied the previous ones: applied together next, in one transaction.
    private readonly List<ReadingsJournaled> _pushedIn = new();
    private Address? _pushSource;
    private bool _applyingPushes;
    private int _outboxReadings;
    private bool _underLoad;
    private long _nextConfirmId;

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
            if (t.Attempt == _attempt) _pullingFrom = null;
        });

        // A strong write on this member: ask every reachable member to pull it now, count who holds it.
        Receive<ConfirmMajority>(confirm =>
        {
            var state = _cluster.State;
            var members = Membership.Members(state);
            var required = Membership.Majority(members);
            if (!Membership.SelfIsMember(_cluster))
            {
                Sender.Tell(new MajorityNotConfirmed(1, required, members, Membership.NotAMember));
                return;
            }
            var id = ++_nextConfirmId;
            var pending = new PendingConfirm(Sender, required, members, [_cluster.SelfAddress]);
            if (pending.Acknowledged.Count >= required)
            {
                Sender.Tell(new MajorityConfirmed(pending.Acknowledged.Count, members));
                return;
            }
            _confirms[id] = pending;
            foreach (var peer in ReachablePeers())
                Replicator(peer.Address).Tell(new SyncRequest(confirm.OriginNode, confirm.UpTo, id));
            Timers.StartSingleTimer($"confirm-{id}", new ConfirmTimedOut(id), confirm.Timeout);
        });
        Receive<SyncDone>(done =>
        {
            if (!_confirms.TryGetValue(done.Id, out var pending)) return;
            pending.Acknowledged.Add(Sender.Path.Address);
            if (pending.Acknowledged.Count < pending.Required) return;
            pending.ReplyTo.Tell(new MajorityConfirmed(pending.Acknowledged.Count, pending.Members));
            _confirms.Remove(done.Id);
            Timers.Cancel($"confirm-{done.Id}");
        });
        Receive<ConfirmTimedOut>(t =>
        {
            if (!_confirms.Remove(t.Id, out var pending)) return;
            pending.ReplyTo.Tell(new MajorityNotConfirmed(pending.Acknowledged.Count, pending.Required, pending.Members,
                $"{pending.Acknowledged.Count} of {pending.Members} members hold it within the time allowed; {pending.Required} are needed"));
        });

        // Another member's strong write: pull from it until this member holds it, durably, then say so.
        Receive<SyncRequest>(sync =>
        {
            _syncs.Add(new PendingSync(sync, Sender, Sender.Path.Address, DateTime.UtcNow));
            if (!AnswerSyncs()) Replicator(Sender.Path.Address).Tell(NewPull());
        });

        // A strong read: this member first catches up with a majority of all members.
        Receive<CatchUpWithMajority>(read =>
        {
            var state = _cluster.State;
            var members = Membership.Members(state);
            var pending = new PendingRead(Sender, Membership.Majority(members), members, [_cluster.SelfAddress], [], _nextPullId + 1);
            if (!Membership.SelfIsMember(_cluster))
            {
                Sender.Tell(new MajorityNotConfirmed(1, pending.Required, members, Membership.NotAMember));
                return;
            }
            // Cut off from the majority: refuse now instead of waiting for members that cannot answer.
            if (Membership.Reachable(state) < pending.Required)
            {
                Sender.Tell(new MajorityNotConfirmed(1, pending.Required, members,
                    $"only {Membership.Reachable(state)} of {members} members are reachable"));
                return;
            }
            if (pending.CaughtUp.Count >= pending.Required)
            {
                Sender.Tell(new MajorityConfirmed(pending.CaughtUp.Count, members));
                return;
            }
            var id = ++_nextConfirmId;
            _reads[id] = pending;
            foreach (var peer in ReachablePeers())
            {
                pending.Asked.Add(peer.Address);
                Replicator(peer.Address).Tell(NewPull());
            }
            Timers.StartSingleTimer($"read-{id}", new ReadTimedOut(id), read.Timeout);
        });
        Receive<ReadTimedOut>(t =>
        {
            if (!_reads.Remove(t.Id, out var pending)) return;
            pending.ReplyTo.Tell(new MajorityNotConfirmed(pending.CaughtUp.Count, pending.Required, pending.Members,
                $"caught up with {pending.CaughtUp.Count} of {pending.Members} members in the time allowed; {pending.Required} are needed"));
        });

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
        if (applied.Source != _pullingFrom) return;
        _pullingFrom = null;
        // A full batch means the peer may hold more: catching up does not wait for the next tick.
        if (applied.Received >= _settings.MaxBatch) PullFromRandomPeer();
    }

    // A peer counts for a strong read once a pull from it, sent after the read began, came back less than full: this member
    // holds all the peer had when the pull reached it. A reply to an earlier pull (anti-entropy's, or an earlier read's
    // that was still on its way) may predate a strong write acknowledged before this read began, and counted, it let the
    // read miss that write (the soak's stale strong read).
    private void ProgressReads(ReplicatedApplied applied)
    {
        var waiting = _reads.Where(r => r.Value.Asked.Contains(applied.Source) && !r.Value.CaughtUp.Contains(applied.Source)
            && applied.PullId >= r.Value.FirstPull).ToList();
        if (waiting.Count == 0) return;
        if (applied.Received >= _settings.MaxBatch)
        {
            Replicator(applied.Source).Tell(NewPull());
            return;
        }
        foreach (var (id, read) in waiting)
        {
            read.CaughtUp.Add(applied.Source);
            if (read.CaughtUp.Count < read.Required) continue;
            read.ReplyTo.Tell(new MajorityConfirmed(read.CaughtUp.Count, read.Members));
            _reads.Remove(id);
            Timers.Cancel($"read-{id}");
        }
    }

    /// <summary>Answers every sync request this member now holds; true when none is left.</summary>
    private bool AnswerSyncs()
    {
        if (_syncs.Count == 0) return true;
        var vector = _store.Replication.VersionVector();
        foreach (var sync in _syncs.Where(s => vector.GetValueOrDefault(s.Request.OriginNode) >= s.Request.UpTo).ToList())
        {
            sync.ReplyTo.Tell(new SyncDone(sync.Request.Id));
            _syncs.Remove(sync);
        }
        return _syncs.Count == 0;
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
        _attempt++;
        Replicator(peer).Tell(NewPull());
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
