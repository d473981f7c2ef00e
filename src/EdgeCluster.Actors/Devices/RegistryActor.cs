using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Actors.Devices;

public static class RegistryProtocol
{
    /// <summary>A device registered on this member, to be known on every member.</summary>
    public sealed record Publish(DeviceInfo Device);

    /// <summary>A device's entry changed on some member; its device actor takes the new entry.</summary>
    public sealed record RegistryUpdated(DeviceInfo Device) : DeviceProtocol.IDeviceCommand
    {
        public int DeviceId => Device.DeviceId;
    }
}

/// <summary>
/// The device registry across members, on Akka.DistributedData: an LWW dictionary from device id to
/// entry, so concurrent changes on two members resolve to the later one (ties by member address,
/// the same on every member). Every change that arrives is handed to the device's actor, which writes it
/// to this member's devices table, so a device registered on any member is usable on all.
/// </summary>
public sealed class RegistryActor : ReceiveActor
{
    public static readonly LWWDictionaryKey<int, DeviceInfo> Key = new("devices");

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.UniqueAddress _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;

    public RegistryActor(ReadModelStore store, IActorRef devices)
    {
        // Sent to a majority at once rather than left to gossip (every 2 s), so a board that registered on
        // one member can post to another right away; without a majority it stays local and gossips later.
        Receive<RegistryProtocol.Publish>(p => _replicator.Tell(Dsl.Update(Key, LWWDictionary<int, DeviceInfo>.Empty,
            new WriteMajority(TimeSpan.FromSeconds(3)), registry => registry.SetItem(_self, p.Device.DeviceId, p.Device))));
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(t => _log.Info("Device registry change not yet on a majority; it spreads by gossip: {0}", t.Key));
        Receive<IUpdateFailure>(f => _log.Warning("Device registry update failed: {0}", f));
        Receive<Changed>(changed =>
        {
            foreach (var (id, device) in changed.Get(Key))
            {
                // Only entries this member does not hold yet go to their device actor, which writes them.
                if (DeviceActor.SameEntry(store.Devices.Get(id), device)) continue;
                devices.Tell(new RegistryProtocol.RegistryUpdated(device));
            }
        });
    }

    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(Key, Self));
}

public static class RegistryHosting
{
    public static AkkaConfigurationBuilder AddDeviceRegistry(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var store = resolver.GetService<ReadModelStore>();
            var devices = registry.Get<DeviceManagerActor>();
            registry.Register<RegistryActor>(system.ActorOf(Props.Create(() => new RegistryActor(store, devices)), "registry"));
        });
}
