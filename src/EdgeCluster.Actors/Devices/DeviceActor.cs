using Akka.Actor;
using Akka.Event;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Devices.DeviceProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// One device: its registry entry (it is the only writer of its row in the devices table), the seqs it
/// has stored and its latest reading. It decides
/// which seqs of a request are retries, and holds a request back while another write of the
/// same seq is in flight, so a retry is stored once. A request of this device's readings alone it takes whole
/// (DeviceActor.Ingest.cs).
/// </summary>
public sealed partial class DeviceActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan IdleUnregistered = TimeSpan.FromMinutes(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ReadModelStore _store;
    private readonly IngestSettings _settings;
    private readonly List<(IDeviceCommand Request, IActorRef Sender, long SinceMs)> _parked = new();
    private DeviceState _state = null!;

    public DeviceActor(int deviceId, ReadModelStore store, IngestSettings settings, IActorRef journal)
    {
        _store = store;
        _settings = settings;
        _journal = journal;
        DeviceId = deviceId;

        Receive<Reserve>(r => HandleReserve(r, Sender));
        Receive<IngestOwn>(HandleIngest);
        Receive<JournalProtocol.Appended>(OnAppended);
        Receive<JournalProtocol.AppendFailed>(OnAppendFailed);
        Receive<ExpireWrites>(_ => Expire());
        Receive<Commit>(c =>
        {
            foreach (var reading in c.Stored) _state.Stored(reading);
            RetryParked();
        });
        Receive<Release>(r =>
        {
            foreach (var seq in r.Seqs) _state.Release(seq);
            RetryParked();
        });
        Receive<Register>(r =>
        {
            var created = Save(r.Device with { TokenHash = _state.Info?.TokenHash ?? r.Device.TokenHash });
            PublishToRegistry();
            Sender.Tell(new Registered(_state.Info!, created));
        });
        Receive<RotateToken>(r =>
        {
            if (_state.Info is not { } info)
            {
                Sender.Tell(new NotRegistered(DeviceId));
                return;
            }
            Save(info with { TokenHash = r.TokenHash });
            PublishToRegistry();
            Sender.Tell(new Registered(_state.Info!, false));
        });
        Receive<RegistryProtocol.RegistryUpdated>(u =>
        {
            if (!SameEntry(_state.Info, u.Device)) Save(u.Device);
            RetryParked();
        });
        Receive<GetStatus>(_ => Sender.Tell(new DeviceStatus(DeviceId, _state.Info, _state.Latest, _state.HighestSeq)));
        Receive<ReceiveTimeout>(_ =>
        {
            if (!_state.IsRegistered && _state.InFlightCount == 0 && _parked.Count == 0 && _writes.Count == 0) Context.Stop(Self);
        });
    }

    public int DeviceId { get; }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _state = _store.DeviceStates.Load(DeviceId);
        SetIdleTimeout();
    }

    /// <summary>Writes the entry to this member's devices table (this actor is its only writer) and takes it; true when new.</summary>
    private bool Save(DeviceInfo device)
    {
        var created = _store.Devices.Upsert(device);
        _state.Register(_store.Devices.Get(DeviceId)!);
        SetIdleTimeout();
        return created;
    }

    internal static bool SameEntry(DeviceInfo? a, DeviceInfo b) =>
        a is not null && a.Name == b.Name && a.Type == b.Type && a.Location == b.Location && a.IntervalS == b.IntervalS && a.TokenHash == b.TokenHash;

    // An actor for an id nobody registered should not stay in memory for every id a client tries.
    private void SetIdleTimeout() => Context.SetReceiveTimeout(_state.IsRegistered ? null : IdleUnregistered);

    /// <summary>False when the device is not registered and the node does not register devices on their first reading.</summary>
    private bool KnownOrRegistered()
    {
        if (_state.IsRegistered) return true;
        if (!_settings.AutoRegister) return false;
        var device = DeviceValidator.AutoRegistered(DeviceId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Save(device);
        PublishToRegistry();
        _log.Info("Device {0} registered automatically on its first reading", DeviceId);
        return true;
    }

    private void HandleReserve(Reserve request, IActorRef sender)
    {
        if (!KnownOrRegistered())
        {
            sender.Tell(new UnknownDevice(DeviceId, request.RequestId));
            return;
        }

        if (request.Seqs.Any(seq => _state.Check(seq) == SeqStatus.InFlight))
        {
            _parked.Add((request, sender, Environment.TickCount64));
            return;
        }

        var duplicates = new HashSet<long>();
        foreach (var seq in request.Seqs)
        {
            if (_state.Check(seq) == SeqStatus.Duplicate) duplicates.Add(seq);
            else _state.Reserve(seq);
        }
        sender.Tell(new Reserved(DeviceId, request.RequestId, duplicates));
    }

    // The registry actor makes the entry known on every member.
    private void PublishToRegistry() =>
        Context.System.ActorSelection("/user/registry").Tell(new RegistryProtocol.Publish(_state.Info!));

    private void RetryParked()
    {
        if (_parked.Count == 0) return;
        var parked = _parked.ToList();
        _parked.Clear();
        foreach (var (request, sender, since) in parked)
        {
            if (request is Reserve reserve) HandleReserve(reserve, sender);
            else HandleParkedIngest((IngestOwn)request, since);
        }
    }
}
