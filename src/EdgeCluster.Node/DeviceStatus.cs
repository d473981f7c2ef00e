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
}

/// <summary>
/// A registered device's status changed (<c>online</c>, <c>late</c>, <c>offline</c>), as this member sees it; published on
/// the actor system's event stream. <paramref name="From"/> is null the first time this member reports the device.
/// </summary>
public sealed record DeviceStatusChanged(int DeviceId, string? From, string To, string? LastSeen, string At);

/// <summary>
/// Turns the device-health rule (computed when asked, so a device goes late by silence alone) into events: every second
/// it computes each registered device's status and publishes a <see cref="DeviceStatusChanged"/> for each one that
/// changed. The MQTT door's retained status is one subscriber.
/// </summary>
public sealed class DeviceStatusWatch(ActorSystem system, ReadModelStore store, DeviceStatus health, ILogger<DeviceStatusWatch> log)
    : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(1);
    private readonly Dictionary<int, string> _known = new();

    /// <summary>One round: the changes since the last round, published and returned.</summary>
    public IReadOnlyList<DeviceStatusChanged> Check(long nowMs)
    {
        var changes = new List<DeviceStatusChanged>();
        foreach (var device in store.Devices.List())
        {
            var view = health.Of(device, nowMs);
            if (_known.TryGetValue(device.DeviceId, out var before) && before == view.Status) continue;
            changes.Add(new DeviceStatusChanged(device.DeviceId, before, view.Status, view.LastSeen, TimeText.FromUnixMs(nowMs)));
            _known[device.DeviceId] = view.Status;
        }
        foreach (var change in changes) system.EventStream.Publish(change);
        return changes;
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
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
    }
}
