using Akka.Actor;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Actors.Replication;

/// <summary>
/// Strong operations: a strong write on this member waits until a majority of all members holds it (each is asked to
/// pull it now and says when it holds it durably); a strong read on this member first catches up with a majority,
/// counting only replies to pulls it sent after it began.
/// </summary>
public sealed partial class ReplicatorActor
{
    private sealed record ConfirmTimedOut(long Id);
    private sealed record PendingConfirm(IActorRef ReplyTo, int Required, int Members, HashSet<Address> Acknowledged);
    private sealed record PendingSync(SyncRequest Request, IActorRef ReplyTo, Address Source, DateTime Since);
    /// <summary>A strong read: only replies to pulls numbered <paramref name="FirstPull"/> or later (sent after it began) count.</summary>
    private sealed record PendingRead(IActorRef ReplyTo, int Required, int Members, HashSet<Address> CaughtUp, HashSet<Address> Asked, long FirstPull);
    private sealed record ReadTimedOut(long Id);

    private readonly Dictionary<long, PendingConfirm> _confirms = new();
    private readonly List<PendingSync> _syncs = new();
    private readonly Dictionary<long, PendingRead> _reads = new();
    private long _nextConfirmId;

    private void ReceiveStrongOperations()
    {
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
}
