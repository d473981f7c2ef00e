using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// The doors' actor (HTTP and MQTT): hands a request whose readings are one device's to that device, a request that
/// spans devices to one of a few ingest coordinators (with the actors of its devices), and routes device commands to
/// one child actor per device, created on first use. A device command that reached a device actor after it stopped is
/// sent again, to a new actor for that device (<see cref="Redeliver"/>).
/// </summary>
public sealed class DeviceManagerActor : ReceiveActor
{
    private readonly ReadModelStore _store;
    private readonly IngestSettings _settings;
    private readonly IActorRef _journal;
    private readonly Dictionary<int, IActorRef> _devices = new();
    // How often each command was sent again after it reached a stopped device actor (entries go with their commands).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IDeviceCommand, System.Runtime.CompilerServices.StrongBox<int>> _redelivered = new();
    private readonly Akka.Event.ILoggingAdapter _log = Context.GetLogger();
    private IActorRef[] _coordinators = [];
    private long _nextRequest;

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
            var devices = new Dictionary<int, IActorRef>();
            foreach (var r in ingest.Readings)
                if (!devices.ContainsKey(r.DeviceId)) devices[r.DeviceId] = DeviceFor(r.DeviceId);
            _coordinators[_nextRequest++ % _coordinators.Length].Tell(new IngestSpread(ingest.Readings, devices, Sender));
        });
        Receive<IDeviceCommand>(command => DeviceFor(command.DeviceId).Forward(command));
        Receive<Terminated>(t =>
        {
            if (DeviceIdOf(t.ActorRef) is { } id && _devices.TryGetValue(id, out var known) && known.Equals(t.ActorRef)) _devices.Remove(id);
        });
        Receive<DeadLetter>(Redeliver);
    }

    /// <summary>How many coordinators take requests that span devices: one per core, up to four.</summary>
    public static int Coordinators => Math.Clamp(Environment.ProcessorCount, 1, 4);

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));
        _coordinators = Enumerable.Range(1, Coordinators)
            .Select(i => Context.ActorOf(Props.Create(() => new IngestCoordinatorActor(_journal, _settings.RequestTimeout)), $"ingest-{i}"))
            .ToArray();
    }

    private static int? OneDevice(IReadOnlyList<EdgeCluster.Domain.Reading> readings)
    {
        if (readings.Count == 0) return null;
        var id = readings[0].DeviceId;
        for (var i = 1; i < readings.Count; i++)
            if (readings[i].DeviceId != id) return null;
        return id;
    }

    /// <summary>
    /// A device actor stops itself when nobody registered its device and it has been idle a minute. A command sent to it
    /// in the instant between its stop and this manager's <see cref="Terminated"/> — by this manager, which still held
    /// it, or by a coordinator holding it for a request — is a dead letter: it goes to the device again, to a new actor
    /// for it (once the old one's name is free), with its sender, instead of being lost and its request timing out.
    /// </summary>
    private void Redeliver(DeadLetter dead)
    {
        if (dead.Message is not IDeviceCommand command || !Self.Path.Equals(dead.Recipient.Path.Parent) ||
            DeviceIdOf(dead.Recipient) != command.DeviceId)
            return;
        if (_devices.TryGetValue(command.DeviceId, out var known) && known.Equals(dead.Recipient)) _devices.Remove(command.DeviceId);
        // A few times at most: a device actor that cannot start (its state unreadable) stops at once, and its command
        // would otherwise go round between it and a new one for as long as the store fails.
        var tries = _redelivered.GetOrCreateValue(command);
        if (++tries.Value > MaxRedeliveries)
        {
            _log.Warning("Device {0}: a {1} reached no device actor after {2} tries; dropped", command.DeviceId, command.GetType().Name, MaxRedeliveries);
            return;
        }
        DeviceFor(command.DeviceId).Tell(command, dead.Sender);
    }

    private const int MaxRedeliveries = 3;

    private static int? DeviceIdOf(IActorRef child) =>
        child.Path.Name.StartsWith("device-", StringComparison.Ordinal) && int.TryParse(child.Path.Name.AsSpan(7), out var id) ? id : null;

    private IActorRef DeviceFor(int deviceId)
    {
        // Kept until its Terminated (a device actor stops itself when nobody registered it and it has been idle a minute).
        if (_devices.TryGetValue(deviceId, out var known)) return known;
        var name = $"device-{deviceId}";
        var child = Context.Child(name);
        if (child.IsNobody())
        {
            child = Context.ActorOf(Props.Create(() => new DeviceActor(deviceId, _store, _settings, _journal)), name);
            Context.Watch(child);
        }
        _devices[deviceId] = child;
        return child;
    }
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
