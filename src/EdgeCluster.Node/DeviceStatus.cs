using Akka.Actor;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Node;

/// <summary>
/// A device's health as every part of the node reports it (the devices API, the MQTT door's retained status): the
/// read model's last-seen and interval rule, with a connection that dropped uncleanly (replicated) counting as offline.
/// </summary>
public sealed class DeviceStatus(ReadModelStore store, ConnectionDrops drops)
{
    public DeviceHealthView Of(DeviceInfo device, long nowMs) => store.Health.Of(device, nowMs, drops.DroppedAt(device.DeviceId));

    public IReadOnlyList<DeviceHealthView> Of(IEnumerable<DeviceInfo> devices, long nowMs) => store.Health.Of(devices, nowMs, drops.DroppedAt);
}

/// <summary>
/// A registered device's status changed (<c>online</c>, <c>late</c>, <c>offline</c>), as this member sees it; published on
/// the actor system's event stream. <paramref name="From"/> is null the first time this member reports the device.
/// </summary>
public sealed record DeviceStatusChanged(int DeviceId, string? From, string To, string? LastSeen, string At);

/// <summary>
/// Turns the device-health rule (computed when asked, so a device goes late by silence alone) into events: every second
/// it computes each registered device's status and publishes a <see cref="DeviceStatusChanged"/> for each one that
/// changed; and as soon as readings are stored (this member's or replicated), it looks at the devices among them that
/// were not online, so a board that reports again is online at once rather than at the next round (and a short spell
/// online between two rounds is not missed). The MQTT door's retained status is one subscriber.
/// </summary>
public sealed class DeviceStatusWatch(ActorSystem system, ReadModelStore store, DeviceStatus health, ILogger<DeviceStatusWatch> log)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private readonly Dictionary<int, string> _known = new();
    private readonly object _gate = new();

    /// <summary>One round: the changes since the last round, published and returned.</summary>
    public IReadOnlyList<DeviceStatusChanged> Check(long nowMs) => Check(store.Devices.List(), nowMs);

    private List<DeviceStatusChanged> Check(IEnumerable<DeviceInfo> devices, long nowMs)
    {
        var changes = new List<DeviceStatusChanged>();
        // One caller at a time (the round's timer, the stored readings' relay), publishing in the order it decided.
        lock (_gate)
        {
            foreach (var view in health.Of(devices, nowMs))
            {
                if (_known.TryGetValue(view.DeviceId, out var before) && before == view.Status) continue;
                changes.Add(new DeviceStatusChanged(view.DeviceId, before, view.Status, view.LastSeen, TimeText.FromUnixMs(nowMs)));
                _known[view.DeviceId] = view.Status;
            }
            foreach (var change in changes) system.EventStream.Publish(change);
        }
        return changes;
    }

    /// <summary>Readings were stored: the devices among them this watch did not know as online are looked at now.</summary>
    private void Reported(IReadOnlyList<JournaledReading> readings)
    {
        HashSet<int>? waking = null;
        lock (_gate)
        {
            foreach (var r in readings)
            {
                var id = r.Reading.DeviceId;
                if (_known.TryGetValue(id, out var status) && status == EdgeCluster.Domain.Analytics.DeviceHealth.Online) continue;
                (waking ??= new HashSet<int>()).Add(id);
            }
        }
        if (waking is null) return;
        Check(store.Devices.List().Where(d => waking.Contains(d.DeviceId)), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private sealed class StoredRelay : ReceiveActor
    {
        public StoredRelay(DeviceStatusWatch watch) =>
            Receive<EdgeCluster.Actors.ReadModel.ReadModelProtocol.ReadingsStored>(stored => watch.Reported(stored.Readings));
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var relay = system.ActorOf(Props.Create(() => new StoredRelay(this)), "device-status-watch");
        system.EventStream.Subscribe(relay, typeof(EdgeCluster.Actors.ReadModel.ReadModelProtocol.ReadingsStored));
        using var timer = new PeriodicTimer(Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    Check(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Device status not checked this round");
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            system.Stop(relay);
        }
    }
}
