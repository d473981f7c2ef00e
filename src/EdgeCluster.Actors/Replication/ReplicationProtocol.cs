using Akka.Actor;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Actors.Replication;

public static class ReplicationProtocol
{
    /// <summary>
    /// Cross-node: "here is what I hold; send me what I lack, at most Max readings". <see cref="Id"/> numbers the puller's
    /// pulls and comes back in the reply, so a strong read counts only replies to pulls sent after it began.
    /// </summary>
    public sealed record Pull(IReadOnlyDictionary<string, long> Vector, int Max)
    {
        public long Id { get; init; }
    }

    /// <summary>
    /// Cross-node reply to <see cref="Pull"/>: the sender's own vector, the runs the puller lacks, and before them the
    /// expired ranges it lacks (origins whose readings left the sender's raw tier), as rollups.
    /// </summary>
    public sealed record PullResult(IReadOnlyDictionary<string, long> Vector, IReadOnlyList<ReadingsJournaled> Groups)
    {
        public IReadOnlyList<ExpiredRange> Expired { get; init; } = [];

        /// <summary>The <see cref="Pull.Id"/> this answers.</summary>
        public long PullId { get; init; }

        public int ReadingCount => Groups.Sum(g => g.Readings.Count);
    }

    /// <summary>
    /// Pulled readings (and expired ranges, taken first) for the read-model writer; it answers <see cref="ReplicatedApplied"/>.
    /// Durable: fsync before answering.
    /// </summary>
    public sealed record ApplyReplicated(IReadOnlyList<ReadingsJournaled> Groups, IActorRef ReplyTo, Address Source, bool Durable)
    {
        public IReadOnlyList<ExpiredRange> Expired { get; init; } = [];

        /// <summary>Pushed rather than pulled. Either way, a group that does not continue what this member holds is left out.</summary>
        public bool Pushed { get; init; }

        /// <summary>The pull whose reply this is (0 for a push).</summary>
        public long PullId { get; init; }
    }

    public sealed record ReplicatedApplied(int Received, int Inserted, Address Source)
    {
        public bool Pushed { get; init; }

        /// <summary>The pull whose reply was applied (0 for a push).</summary>
        public long PullId { get; init; }

        /// <summary>Committed with synchronous=FULL: what it brought survives a power cut.</summary>
        public bool Durable { get; init; }

        /// <summary>Readings left out because an earlier part of their origin's stream is missing here.</summary>
        public int Gapped { get; init; }
    }

    /// <summary>
    /// Cross-node: groups the sender's journal just wrote, offered at once to every reachable member (anti-entropy's pulls
    /// stay, and repair whatever a push missed).
    /// </summary>
    public sealed record Pushed(IReadOnlyList<ReadingsJournaled> Groups);

    /// <summary>Local: confirm that a majority of all members holds this member's stream up to <paramref name="UpTo"/>.</summary>
    public sealed record ConfirmMajority(string OriginNode, long UpTo, TimeSpan Timeout);

    public sealed record MajorityConfirmed(int Acknowledged, int Members);

    public sealed record MajorityNotConfirmed(int Acknowledged, int Required, int Members, string Reason);

    /// <summary>Local: before a strong read, pull from reachable members until a majority of all members (this one included) is caught up with.</summary>
    public sealed record CatchUpWithMajority(TimeSpan Timeout);

    /// <summary>Cross-node: "pull from me now until you hold <paramref name="OriginNode"/> up to <paramref name="UpTo"/>, durably".</summary>
    public sealed record SyncRequest(string OriginNode, long UpTo, long Id);

    /// <summary>Cross-node reply to <see cref="SyncRequest"/>: held and fsynced.</summary>
    public sealed record SyncDone(long Id);

    public sealed record GetStatus;

    /// <summary>What this member holds of each origin, and how far behind the furthest copy it knows of.</summary>
    public sealed record ReplicationStatus(
        IReadOnlyDictionary<string, long> Vector,
        IReadOnlyDictionary<string, long> KnownHighest,
        long ReadingsPulled);
}
