using Akka.Actor;
using EdgeCluster.Domain;

namespace EdgeCluster.Actors.Replication;

public static class ReplicationProtocol
{
    /// <summary>Who a member is, beyond its Akka address: its node name and where its HTTP API answers.</summary>
    public sealed record MemberInfo(string NodeName, string HttpUrl);

    /// <summary>Cross-node: "here is what I hold; send me what I lack, at most Max readings".</summary>
    public sealed record Pull(MemberInfo From, IReadOnlyDictionary<string, long> Vector, int Max);

    /// <summary>Cross-node reply to <see cref="Pull"/>: the sender's own vector and the runs the puller lacks.</summary>
    public sealed record PullResult(MemberInfo From, IReadOnlyDictionary<string, long> Vector, IReadOnlyList<ReadingsJournaled> Groups)
    {
        public int ReadingCount => Groups.Sum(g => g.Readings.Count);
    }

    /// <summary>Pulled readings for the read-model writer; it answers <see cref="ReplicatedApplied"/>.</summary>
    public sealed record ApplyReplicated(IReadOnlyList<ReadingsJournaled> Groups, IActorRef ReplyTo);

    public sealed record ReplicatedApplied(int Received, int Inserted);

    public sealed record GetStatus;

    /// <summary>What this member holds of each origin, how far behind the furthest copy it knows of, and who the other members are.</summary>
    public sealed record ReplicationStatus(
        IReadOnlyDictionary<string, long> Vector,
        IReadOnlyDictionary<string, long> KnownHighest,
        IReadOnlyDictionary<Address, MemberInfo> Members,
        long ReadingsPulled);
}
