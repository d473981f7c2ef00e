using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// The doors' actor (HTTP and MQTT): hands a request whose readings are one device's to that device, starts an ingest
/// request actor for a request that spans devices, and routes device commands to one child actor per device, created
/// on first use.
/// </summary>
public sealed class DeviceManagerActor : ReceiveActor
{
    private readonly ReadModelStore _store;
    private readonly IngestSettings _settings;
    private readonly IActorRef _journal;
    private long _nextRequestId;

    public DeviceManagerActor(ReadModelStore store, IngestSettings settings, IActorRef journal)
    {
        _store = store;
        _settings = settings;
        _journal = journal;

        Receive<Ingest>(ingest =>
        {
            if (OneDevice(ingest.Readings) is { } deviceId)
            {
                DeviceFor(deviceId).Tell(new IngestOwn(deviceId, ingest.Readings, Sender));
                return;
            }
            var id = ++_nextRequestId;
            // A producer, not Props.Create(() => ...): that compiles an expression per request, which was
            // most of the edge's CPU under load.
            var producer = new IngestRequestProducer(ingest.Readings, Sender, Self, _journal, id, _settings.RequestTimeout);
            Context.ActorOf(Props.CreateBy(producer), $"ingest-{id}");
        });
        Receive<IDeviceCommand>(command => DeviceFor(command.DeviceId).Forward(command));
        Receive<Terminated>(_ => { });
    }

    private static int? OneDevice(IReadOnlyList<EdgeCluster.Domain.Reading> readings)
    {
        if (readings.Count == 0) return null;
        var id = readings[0].DeviceId;
        for (var i = 1; i < readings.Count; i++)
            if (readings[i].DeviceId != id) return null;
        return id;
    }

    private IActorRef DeviceFor(int deviceId)
    {
        var name = $"device-{deviceId}";
        var child = Context.Child(name);
        if (!child.IsNobody()) return child;
        child = Context.ActorOf(Props.Create(() => new DeviceActor(deviceId, _store, _settings, _journal)), name);
        Context.Watch(child);
        return child;
    }
}

internal sealed class IngestRequestProducer(
    IReadOnlyList<EdgeCluster.Domain.Reading> readings, IActorRef replyTo, IActorRef devices, IActorRef journal,
    long requestId, TimeSpan timeout) : IIndirectActorProducer
{
    public Type ActorType => typeof(IngestRequestActor);

    public ActorBase Produce() => new IngestRequestActor(readings, replyTo, devices, journal, requestId, timeout);

    public void Release(ActorBase actor) { }
}

public static class DeviceManagerHosting
{
    public static AkkaConfigurationBuilder AddDeviceActors(this AkkaConfigurationBuilder builder, IngestSettings settings) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var store = resolver.GetService<ReadModelStore>();
            var journal = registry.Get<ReadingJournalActor>();
            var props = Props.Create(() => new DeviceManagerActor(store, settings, journal));
            registry.Register<DeviceManagerActor>(system.ActorOf(props, "devices"));
        });
}
