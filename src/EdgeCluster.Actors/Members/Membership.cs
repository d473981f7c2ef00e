using Akka.Cluster;

namespace EdgeCluster.Actors;

/// <summary>What a strong operation counts: every member of the cluster, reachable or not, and a majority of them.</summary>
public static class Membership
{
    public static int Members(ClusterEvent.CurrentClusterState state) =>
        state.Members.Count(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining
            or MemberStatus.Leaving or MemberStatus.Exiting);

    public static int Reachable(ClusterEvent.CurrentClusterState state) => Members(state) - state.Unreachable.Count;

    /// <summary>
    /// Whether this node is a member at all. A node that is starting again after being downed, or still joining,
    /// knows no members: counted naively it would be a majority of itself.
    /// </summary>
    public static bool SelfIsMember(Akka.Cluster.Cluster cluster) =>
        cluster.SelfMember.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving or MemberStatus.Exiting;

    public const string NotAMember = "this node is not a member of the cluster (it is joining or rejoining)";

    public static int Majority(int members) => members / 2 + 1;
}
