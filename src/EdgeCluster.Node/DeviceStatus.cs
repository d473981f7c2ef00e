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
