using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Partition;
using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.ReadModel.ReadModelProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>One Server-Sent Event: its type and its JSON data.</summary>
public sealed record ServerEvent(string Type, string Json);

/// <summary>
/// What the dashboard (and anyone else) follows live on <c>GET /api/events</c>: readings this member stored (its own and
/// replicated; at most 4 a second per device, the latest kept), device status changes, and membership and reachability
/// changes. Each subscriber has a bounded queue: a slow page loses old events, never slows the node.
/// </summary>
public sealed class EventHub
{
    private readonly Lock _gate = new();
    private readonly List<Channel<ServerEvent>> _subscribers = new();

    public int Subscribers
    {
        get { lock (_gate) return _subscribers.Count; }
    }

    public Channel<ServerEvent> Subscribe()
    {
        var channel = Channel.CreateBounded<ServerEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate) _subscribers.Add(channel);
        return channel;
    }

    public void Unsubscribe(Channel<ServerEvent> channel)
    {
        lock (_gate) _subscribers.Remove(channel);
    }

    public void Publish(string type, object data)
    {
        Channel<ServerEvent>[] subscribers;
        lock (_gate)
        {
            if (_subscribers.Count == 0) return;
            subscribers = _subscribers.ToArray();
        }
        var e = new ServerEvent(type, JsonSerializer.Serialize(data, ApiJson.Options));
        foreach (var s in subscribers) s.Writer.TryWrite(e);
    }
}

/// <summary>
/// Feeds the hub from the actor system: stored readings (throttled per device), status changes, cluster events, this
/// member's cut and healed links; and notes since when each unreachable member has been so.
/// </summary>
public sealed class EventHubFeed : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan PerDevice = TimeSpan.FromMilliseconds(250);
    private sealed record Flush;
    private readonly Dictionary<int, DateTime> _sent = new();
    private readonly Dictionary<int, JournaledReading> _pending = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public EventHubFeed(EventHub hub, ReachabilityLog reachability)
    {
        Receive<ReadingsStored>(m =>
        {
            // With no page open (most of a member's day) a reading costs the feed nothing; a new member catching up, or a
            // load, would otherwise format every reading for no one.
            if (hub.Subscribers == 0)
            {
                _pending.Clear();
                return;
            }
            var now = DateTime.UtcNow;
            foreach (var stored in m.Readings)
            {
                var device = stored.Reading.DeviceId;
                if (_sent.TryGetValue(device, out var last) && now - last < PerDevice)
                {
                    _pending[device] = stored;
                    continue;
                }
                _sent[device] = now;
                _pending.Remove(device);
                hub.Publish("reading", View(stored));
            }
        });
        Receive<Flush>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var (device, stored) in _pending.ToList())
            {
                if (now - _sent.GetValueOrDefault(device) < PerDevice) continue;
                _sent[device] = now;
                _pending.Remove(device);
                hub.Publish("reading", View(stored));
            }
        });
        Receive<DeviceStatusChanged>(change => hub.Publish("status", change));
        void Members(ClusterEvent.IClusterDomainEvent e, Member member) =>
            hub.Publish("members", new { @event = e.GetType().Name, member = member.Address.ToString() });
        Receive<ClusterEvent.ReachabilityEvent>(e =>
        {
            if (e is ClusterEvent.UnreachableMember) reachability.Unreachable(e.Member.Address, DateTimeOffset.UtcNow);
            else reachability.Reachable(e.Member.Address);
            Members(e, e.Member);
        });
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            if (e is ClusterEvent.MemberRemoved) reachability.Reachable(e.Member.Address);
            Members(e, e.Member);
        });
        Receive<ClusterEvent.CurrentClusterState>(s =>
        {
            foreach (var m in s.Unreachable) reachability.Unreachable(m.Address, DateTimeOffset.UtcNow);
        });
        Receive<PartitionProtocol.LinksChanged>(e => hub.Publish("partition", new { cuts = e.Cut.Select(LocalLinks.Describe) }));
    }

    private static ReadingView View(JournaledReading stored)
    {
        var r = stored.Reading;
        return new ReadingView(0, r.DeviceId, TimeText.FromUnixMs(r.DeviceTimeMs), TimeText.FromUnixMs(r.ReceivedAtMs),
            r.Temperature, r.Humidity, r.Seq, stored.OriginNode, stored.OriginSeq);
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("flush", new Flush(), PerDevice);
        Context.System.EventStream.Subscribe(Self, typeof(ReadingsStored));
        Context.System.EventStream.Subscribe(Self, typeof(DeviceStatusChanged));
        Context.System.EventStream.Subscribe(Self, typeof(PartitionProtocol.LinksChanged));
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
}

public static class EventsEndpoints
{
    public static void MapEventsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/events", async (HttpContext http, EventHub hub) =>
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            http.Response.Headers["X-Accel-Buffering"] = "no";
            var channel = hub.Subscribe();
            try
            {
                // A first line at once (the browser's EventSource opens), then a comment every 15 s keeps proxies from closing it.
                await http.Response.WriteAsync(": connected\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                while (!http.RequestAborted.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
                    wait.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        // Everything queued goes out in one flush: one write to the socket per wake-up, not per event.
                        var e = await channel.Reader.ReadAsync(wait.Token);
                        do await http.Response.WriteAsync($"event: {e.Type}\ndata: {e.Json}\n\n", http.RequestAborted);
                        while (channel.Reader.TryRead(out e));
                    }
                    catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", http.RequestAborted);
                    }
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            }
            catch (OperationCanceledException) { }
            finally
            {
                hub.Unsubscribe(channel);
            }
        });
    }
}
