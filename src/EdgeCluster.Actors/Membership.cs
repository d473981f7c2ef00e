using Akka.Cluster;

namespace EdgeCluster.Actors;

/// <summary>What a strong operation counts: every member of the cluster, reachable or not, and a majority of them.</summary>
public static class Membership
{
    public static int Members(ClusterEvent.CurrentClusterState state) =>
        state.Members.Count(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining
            or MemberStatus.Leaving or MemberStatus.Exiting);

    public static int Reachable(ClusterEvent.CurrentClusterState state) => Members(state) - state.Unreachable.Count;

    public static int Majority(int members) => members / 2 + 1;
}
