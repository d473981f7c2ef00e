using Akka.Cluster;

namespace EdgeCluster.Actors;

/// <summary>What a strong operation counts: every member of the cluster, reachable or not, and a majority of them.</summary>
public static class Membership
{
    public static int Members(ClusterEvent.CurrentClusterState state) => Members(state.Members.Select(m => m.Status));

    /// <summary>
    /// The counted members this node reaches. Not "members minus unreachable": a member the split brain resolver downed
    /// stays unreachable until it is removed, while it no longer counts as a member, and subtracting it made a majority
    /// that reaches each other refuse strong operations for as long as the removal took.
    /// </summary>
    public static int Reachable(ClusterEvent.CurrentClusterState state) =>
        Reachable(state.Members.Select(m => (m.Status, state.Unreachable.Contains(m))));

    public static int Reachable(IEnumerable<(MemberStatus Status, bool Unreachable)> members) =>
        members.Count(m => Counted(m.Status) && !m.Unreachable);

    public static int Members(IEnumerable<MemberStatus> members) => members.Count(Counted);

    /// <summary>A member a majority is counted of: joining, up, or on its way out, not down or removed.</summary>
    public static bool Counted(MemberStatus status) =>
        status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining or MemberStatus.Leaving or MemberStatus.Exiting;

    /// <summary>
    /// Whether this node is a member at all. A node that is starting again after being downed, or still joining,
    /// knows no members: counted naively it would be a majority of itself.
    /// </summary>
    public static bool SelfIsMember(Akka.Cluster.Cluster cluster) =>
        cluster.SelfMember.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving or MemberStatus.Exiting;

    public const string NotAMember = "this node is not a member of the cluster (it is joining or rejoining)";

    public static int Majority(int members) => members / 2 + 1;
}
