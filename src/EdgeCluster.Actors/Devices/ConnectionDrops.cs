using System.Collections.Concurrent;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// When a device's connection last dropped uncleanly (an MQTT board whose TCP connection broke or whose keep-alive
/// expired), as every member knows it: such a device is <c>offline</c> at once, until it is heard from again. Read by
/// device health on every member; written by <see cref="ConnectionDropsActor"/> from the cluster's replicated copy.
/// </summary>
public sealed class ConnectionDrops
{
    private ConcurrentDictionary<int, long> _droppedAt = new();

    /// <summary>Unix ms of the device's last unclean drop, or null.</summary>
    public long? DroppedAt(int deviceId) => _droppedAt.TryGetValue(deviceId, out var at) ? at : null;

    internal void Replace(IEnumerable<KeyValuePair<int, long>> drops) => _droppedAt = new ConcurrentDictionary<int, long>(drops);

    internal void Note(IEnumerable<int> devices, long atMs)
    {
        foreach (var id in devices) _droppedAt[id] = atMs;
    }

    /// <summary>Devices whose connection dropped on this member, at <paramref name="atMs"/>; spread to every member.</summary>
    public sealed record Dropped(IReadOnlyCollection<int> Devices, long AtMs);
}

/// <summary>
/// The drops across members on Akka.DistributedData (an LWW dictionary from device id to the time of its last unclean
/// drop), written to a majority at once so every member says <c>offline</c> within moments, and by gossip otherwise.
/// </summary>
public sealed class ConnectionDropsActor : ReceiveActor
{
    public static readonly LWWDictionaryKey<int, long> Key = new("device-connection-drops");

    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Akka.Cluster.UniqueAddress _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;

    public ConnectionDropsActor(ConnectionDrops drops)
    {
        var log = Context.GetLogger();
        Receive<ConnectionDrops.Dropped>(d =>
        {
            drops.Note(d.Devices, d.AtMs); // known here at once; the replicated copy follows
            _replicator.Tell(Dsl.Update(Key, LWWDictionary<int, long>.Empty, new WriteMajority(TimeSpan.FromSeconds(3)),
                map => d.Devices.Aggregate(map, (m, id) => m.SetItem(_self, id, d.AtMs))));
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ => log.Info("A device's dropped connection is not yet known on a majority; it spreads by gossip"));
        Receive<IUpdateFailure>(f => log.Warning("Recording a dropped device connection failed: {0}", f));
        Receive<Changed>(changed => drops.Replace(changed.Get(Key)));
    }

    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(Key, Self));
}

public static class ConnectionDropsHosting
{
    public static AkkaConfigurationBuilder AddConnectionDrops(this AkkaConfigurationBuilder builder, ConnectionDrops drops) =>
        builder.WithActors((system, registry) =>
            registry.Register<ConnectionDropsActor>(system.ActorOf(Props.Create(() => new ConnectionDropsActor(drops)), "connection-drops")));
}
