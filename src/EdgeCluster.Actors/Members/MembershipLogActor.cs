using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Hosting;

namespace EdgeCluster.Actors;

/// <summary>
/// Logs membership as a lab reads it, one line per change with node names: joined, up, unreachable, reachable again,
/// leaving, removed, and the leader. Akka's own cluster chatter is filtered out of the node's log.
/// </summary>
public sealed class MembershipLogActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Cluster _cluster = Cluster.Get(Context.System);

    public MembershipLogActor()
    {
        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            if (state.Members.Count > 0)
                _log.Info("Members: {0}", string.Join(", ", state.Members.Select(m => $"{Name(m)} {m.Status}")));
        });
        Receive<ClusterEvent.MemberJoined>(e => Log(e.Member, "is joining"));
        Receive<ClusterEvent.MemberUp>(e => Log(e.Member, "is up"));
        Receive<ClusterEvent.MemberLeft>(e => Log(e.Member, "is leaving"));
        Receive<ClusterEvent.MemberExited>(e => Log(e.Member, "has exited"));
        Receive<ClusterEvent.MemberDowned>(e => Log(e.Member, "was downed"));
        Receive<ClusterEvent.MemberRemoved>(e => Log(e.Member, $"was removed (was {e.PreviousStatus})"));
        Receive<ClusterEvent.UnreachableMember>(e => _log.Warning("Member {0} is unreachable", Name(e.Member)));
        Receive<ClusterEvent.ReachableMember>(e => Log(e.Member, "is reachable again"));
        Receive<ClusterEvent.LeaderChanged>(e => _log.Info("Leader is {0}", e.Leader is { } a
            ? _cluster.State.Members.FirstOrDefault(m => m.Address == a) is { } m ? Name(m) : a.ToString()
            : "none"));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    private void Log(Member member, string what) => _log.Info("Member {0} {1}", Name(member), what);

    private string Name(Member member) =>
        (MemberRoles.NodeName(member) is { } name ? $"{name} ({member.Address})" : member.Address.ToString())
        + (member.Address == _cluster.SelfAddress ? " [this node]" : "");

    protected override void PreStart() => _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
        typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));

    protected override void PostStop() => _cluster.Unsubscribe(Self);
}

public static class MembershipLogHosting
{
    public static AkkaConfigurationBuilder AddMembershipLog(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) => system.ActorOf(Props.Create<MembershipLogActor>(), "membership-log"));
}
