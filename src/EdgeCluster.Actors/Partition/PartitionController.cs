using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Remote;
using Akka.Remote.Transport;

namespace EdgeCluster.Actors.Partition;

/// <summary>A peer this member has cut its link to: who, since when, and which command cut it.</summary>
public sealed record CutLink(Address Peer, string? NodeName, string? HttpUrl, DateTimeOffset Since, string Reason);

/// <summary>
/// The links this node has cut. Kept outside the actor system so that a node that was downed and comes back
/// with a new actor system cuts the same links again until someone heals them.
/// </summary>
public sealed class PartitionTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Address, CutLink> _cuts = new();

    public IReadOnlyList<CutLink> Cuts
    {
        get { lock (_gate) return _cuts.Values.OrderBy(c => c.Peer.ToString(), StringComparer.Ordinal).ToList(); }
    }

    public void Add(CutLink link)
    {
        lock (_gate) _cuts.TryAdd(Naked(link.Peer), link with { Peer = Naked(link.Peer) });
    }

    /// <summary>
    /// Forgets the cut to a peer. A heal does this before it asks the controller to open the link, so that a heal that
    /// reaches a member while its actor system is restarting still holds for the next one.
    /// </summary>
    public bool Remove(Address peer)
    {
        lock (_gate) return _cuts.Remove(Naked(peer));
    }

    /// <summary>Whether this node has cut its link to the peer.</summary>
    public bool IsCut(Address peer)
    {
        lock (_gate) return _cuts.ContainsKey(Naked(peer));
    }

    /// <summary>Links are keyed by host and port: the same peer under akka.tcp or akka.trttl.tcp is one link.</summary>
    public static Address Naked(Address address) => new("akka", address.System, address.Host, address.Port);
}

public static class PartitionProtocol
{
    /// <summary>Cut this node's links to the peers (both directions, everything dropped).</summary>
    public sealed record CutLinks(IReadOnlyList<CutLink> Links);

    /// <summary>Heal this node's links to the peers.</summary>
    public sealed record HealLinks(IReadOnlyList<Address> Peers);

    /// <summary>The answer to a cut or heal, also published on the event stream (what the dashboard's live feed follows).</summary>
    public sealed record LinksChanged(IReadOnlyList<CutLink> Cut, IReadOnlyList<string> Errors);
}

/// <summary>
/// Cuts and heals this node's links to named members through Akka.Remote's throttler transport adapter
/// (<c>trttl</c>), the mechanism Akka's own multi-node test conductor uses: a blackholed link drops every
/// message both ways, so the failure detector, gossip, replication and DistributedData all see a partition.
/// Both sides of a cut apply it; the HTTP management API fans a command out to every member.
/// </summary>
public sealed class PartitionControllerActor : ReceiveActor, IWithTimers
{
    public const string Name = "partition-controller";

    /// <summary>
    /// When a cut or heal is said again to the throttler, after the command. Akka.NET's throttler gives an outbound
    /// association the inbound mode its link had when the association completed, and hands it over only once the layer
    /// above registers; a mode set in between does not reach that association. One opened while a link was cut and
    /// registered as the heal came stayed blackholed one way: the two members never heard each other's heartbeats and
    /// the split brain resolver downed both. Saying the mode again reaches it; to every other association it is a no-op.
    /// </summary>
    public static readonly TimeSpan[] SayAgainAfter = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)];

    private sealed record SayAgain(IReadOnlyList<Address> Peers, bool Cut);

    private readonly PartitionTable _table;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _sayAgainTimer;

    public ITimerScheduler Timers { get; set; } = null!;

    public PartitionControllerActor(PartitionTable table)
    {
        _table = table;
        ReceiveAsync<PartitionProtocol.CutLinks>(async cut =>
        {
            var errors = new List<string>();
            foreach (var link in cut.Links)
            {
                if (await Throttle(link.Peer, Blackhole.Instance, errors)) _table.Add(link);
            }
            _log.Warning("Links cut to {0} ({1})", string.Join(", ", cut.Links.Select(l => l.NodeName ?? l.Peer.ToString())),
                cut.Links.FirstOrDefault()?.Reason);
            Answer(new PartitionProtocol.LinksChanged(_table.Cuts, errors), changed: true);
            ScheduleSayAgain(cut.Links.Select(l => l.Peer).ToList(), cut: true);
        });
        ReceiveAsync<PartitionProtocol.HealLinks>(async heal =>
        {
            var errors = new List<string>();
            var peers = heal.Peers;
            foreach (var peer in peers)
            {
                if (await Throttle(peer, Unthrottled.Instance, errors)) _table.Remove(peer);
            }
            if (peers.Count > 0) _log.Warning("Links healed to {0}", string.Join(", ", peers));
            Answer(new PartitionProtocol.LinksChanged(_table.Cuts, errors), changed: peers.Count > 0);
            ScheduleSayAgain(peers, cut: false);
        });
        Receive<SayAgain>(again =>
        {
            // Only what still holds: a link healed (or cut) again meanwhile has had its own command.
            foreach (var peer in again.Peers.Where(p => _table.IsCut(p) == again.Cut))
                SayModeAgain(peer, again.Cut ? Blackhole.Instance : Unthrottled.Instance);
        });
    }

    private void ScheduleSayAgain(IReadOnlyList<Address> peers, bool cut)
    {
        if (peers.Count == 0) return;
        foreach (var after in SayAgainAfter) Timers.StartSingleTimer(++_sayAgainTimer, new SayAgain(peers, cut), after);
    }

    /// <summary>Not awaited: a throttler that is slow to answer must not hold back the next cut or heal.</summary>
    private void SayModeAgain(Address peer, ThrottleMode mode)
    {
        var log = _log;
        try
        {
            SetThrottle(peer, mode).ContinueWith(t =>
            {
                if (t.IsFaulted) log.Debug("Saying the link to {0} again failed: {1}", peer, t.Exception?.GetBaseException().Message);
            }, TaskContinuationOptions.ExecuteSynchronously);
        }
        catch (Exception e)
        {
            // The command itself already answered; a failure to say it again is no reason to restart the controller.
            log.Warning("Saying the link to {0} again failed: {1}", peer, e.Message);
        }
    }

    /// <summary>Answers the command; a change also goes on the event stream (the dashboard's live feed follows it).</summary>
    private void Answer(PartitionProtocol.LinksChanged result, bool changed)
    {
        if (changed) Context.System.EventStream.Publish(result);
        Sender.Tell(result);
    }

    /// <summary>Both directions of the link to the peer, on this node's transport (whatever its protocol's name).</summary>
    private Task<bool> SetThrottle(Address peer, ThrottleMode mode)
    {
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)Context.System).Provider).Transport;
        var target = new Address(transport.DefaultAddress.Protocol, peer.System, peer.Host, peer.Port);
        return transport.ManagementCommand(new SetThrottle(target, ThrottleTransportAdapter.Direction.Both, mode));
    }

    private async Task<bool> Throttle(Address peer, ThrottleMode mode, List<string> errors)
    {
        try
        {
            if (await SetThrottle(peer, mode)) return true;
            errors.Add($"the throttler transport is not loaded on this node (akka.remote.dot-netty.tcp.applied-adapters = [trttl]); {peer} was not changed");
        }
        catch (Exception e)
        {
            errors.Add($"changing the link to {peer} failed: {e.Message}");
        }
        return false;
    }
}

/// <summary>
/// Joins a member that started again with links cut (it was downed on the minority side of a split) once every cut is
/// healed, through every seed. Akka's own join asks every seed at once and again every second: asked across a cut link,
/// each try opens an association the throttler drops, and one whose handshake was still waiting when the heal came was
/// seen to stay silent afterwards, so that the member and one of the majority could not hear each other's heartbeats and
/// the split brain resolver downed both. Joining through the seeds not cut (the other member of the minority, once it
/// is back) is no better: the majority's members cannot reach it yet and down it again.
/// </summary>
public sealed class JoinWhenHealedActor : ReceiveActor
{
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PartitionTable _table;
    private readonly IReadOnlyList<Address> _seeds;

    public JoinWhenHealedActor(PartitionTable table, IReadOnlyList<Address> seeds)
    {
        _table = table;
        _seeds = seeds;
        Receive<PartitionProtocol.LinksChanged>(_ => JoinIfHealed());
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(PartitionProtocol.LinksChanged));
        var cuts = _table.Cuts;
        if (cuts.Count > 0) _log.Info("Links to {0} still cut: joining once they are healed", string.Join(", ", cuts.Select(c => c.NodeName ?? c.Peer.ToString())));
        JoinIfHealed();
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void JoinIfHealed()
    {
        if (_table.Cuts.Count > 0) return;
        _log.Info("Links healed: joining through {0}", string.Join(", ", _seeds));
        _cluster.JoinSeedNodes(_seeds);
        Context.Stop(Self);
    }
}

public static class PartitionHosting
{
    /// <summary>
    /// Starts the controller. A node that comes back with a new actor system keeps the cuts nobody has healed: they are
    /// applied before this returns, before anything asks to join (<see cref="JoinWhenHealedActor"/>), so the node talks to
    /// no member it has cut, not even for a moment.
    /// </summary>
    public static AkkaConfigurationBuilder AddPartitionController(this AkkaConfigurationBuilder builder, PartitionTable table) =>
        builder.WithActors(async (system, registry) =>
        {
            var controller = system.ActorOf(Props.Create(() => new PartitionControllerActor(table)), PartitionControllerActor.Name);
            registry.Register<PartitionControllerActor>(controller);
            var cuts = table.Cuts;
            if (cuts.Count > 0) await controller.Ask<PartitionProtocol.LinksChanged>(new PartitionProtocol.CutLinks(cuts), TimeSpan.FromSeconds(10));
        });
}
