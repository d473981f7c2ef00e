using Akka.Actor;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// Takes the requests whose readings span devices (a batch over several boards, a gateway's upload), many at once, each
/// a <see cref="SpreadRequest"/> it keeps until the request ends, instead of an actor of its own per request: it asks each
/// device which seqs are retries and to hold the rest, journals what is new as one append, then tells the devices what
/// was stored and answers the client. Any failure releases what the devices held, so nothing is half-applied. The
/// device manager hands it the devices' actors, so the reserves and commits go to them straight, not through the
/// manager. A few of these run side by side (<see cref="DeviceManagerActor"/>); a request stays with one.
/// </summary>
public sealed class IngestCoordinatorActor : ReceiveActor, IWithTimers
{
    /// <summary>How often requests are looked at for their deadlines (a request's timeout is seconds).</summary>
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMilliseconds(100);

    private sealed class Sweep
    {
        public static readonly Sweep Instance = new();
    }

    private readonly IActorRef _journal;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<long, SpreadRequest> _requests = new();
    private long _nextRequestId;

    public ITimerScheduler Timers { get; set; } = null!;

    public IngestCoordinatorActor(IActorRef journal, TimeSpan timeout)
    {
        _journal = journal;
        _timeout = timeout;

        Receive<IngestSpread>(m =>
        {
            var request = new SpreadRequest(++_nextRequestId, m, Self, _journal, Environment.TickCount64 + (long)_timeout.TotalMilliseconds);
            _requests[request.Id] = request;
            if (_requests.Count == 1) Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepEvery);
            request.Start();
        });
        Receive<Reserved>(r => On(r.RequestId, q => q.OnReserved(r)));
        Receive<UnknownDevice>(u => On(u.RequestId, q => q.OnUnknown(u)));
        Receive<JournalProtocol.Appended>(a => On(a.CorrelationId, q => q.OnAppended(a)));
        Receive<JournalProtocol.AppendFailed>(f => On(f.CorrelationId, q => q.OnAppendFailed(f)));
        Receive<Sweep>(_ =>
        {
            var now = Environment.TickCount64;
            List<long>? ended = null;
            foreach (var (id, request) in _requests)
                if (request.OnTick(now)) (ended ??= new List<long>()).Add(id);
            if (ended is not null) foreach (var id in ended) _requests.Remove(id);
            if (_requests.Count == 0) Timers.Cancel("sweep");
        });
    }

    private void On(long requestId, Func<SpreadRequest, bool> handle)
    {
        // A request that ended has nothing left to do with a late answer: it released or committed everything.
        if (_requests.TryGetValue(requestId, out var request) && handle(request)) _requests.Remove(requestId);
    }
}

/// <summary>
/// One request's readings on their way in, across devices. Each handler returns true when the request has ended (and
/// can be forgotten). After a failure it stays a while (<see cref="DrainTime"/>): a device that answers late gets its
/// seqs released, and a journal write that lands late is still committed to its devices, so their seqs are never left
/// in flight.
/// </summary>
internal sealed class SpreadRequest
{
    /// <summary>How long a request that failed stays to release seqs that devices reserve for it late.</summary>
    private static readonly long DrainTime = (long)TimeSpan.FromSeconds(30).TotalMilliseconds;

    private enum Phase { Reserving, Writing, Draining }

    private readonly IReadOnlyList<Reading> _readings;
    private readonly IActorRef _replyTo;
    private readonly IReadOnlyDictionary<int, IActorRef> _devices;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _journal;
    private readonly Dictionary<int, List<long>> _seqsByDevice = new();
    private readonly Dictionary<int, IReadOnlySet<long>> _duplicatesByDevice = new();
    private readonly HashSet<int> _unknownDevices = new();
    private readonly bool[] _duplicateInRequest;
    private List<int> _toWrite = new();

    /// <summary>An append was sent and not answered as failed: it may still land, so its seqs stay held.</summary>
    private bool JournalWriteOutstanding => _toWrite.Count > 0;
    private Phase _phase = Phase.Reserving;
    private long _deadline;

    public SpreadRequest(long id, IngestSpread request, IActorRef coordinator, IActorRef journal, long deadline)
    {
        Id = id;
        _readings = request.Readings;
        _replyTo = request.ReplyTo;
        _devices = request.Devices;
        _coordinator = coordinator;
        _journal = journal;
        _deadline = deadline;
        _duplicateInRequest = new bool[_readings.Count];

        var seen = new HashSet<(int, long)>();
        for (var i = 0; i < _readings.Count; i++)
        {
            var r = _readings[i];
            if (!_seqsByDevice.TryGetValue(r.DeviceId, out var seqs)) _seqsByDevice[r.DeviceId] = seqs = new List<long>();
            if (r.Seq is not { } seq) continue;
            if (seen.Add((r.DeviceId, seq))) seqs.Add(seq);
            else _duplicateInRequest[i] = true;
        }
    }

    public long Id { get; }

    public void Start()
    {
        foreach (var (deviceId, seqs) in _seqsByDevice) _devices[deviceId].Tell(new Reserve(deviceId, Id, seqs), _coordinator);
    }

    public bool OnReserved(Reserved r)
    {
        switch (_phase)
        {
            case Phase.Reserving:
                _duplicatesByDevice[r.DeviceId] = r.Duplicates;
                return AllAnswered();
            case Phase.Draining:
                Release(r.DeviceId, r.Duplicates);
                return false;
            default:
                return false;
        }
    }

    public bool OnUnknown(UnknownDevice u)
    {
        if (_phase != Phase.Reserving) return false;
        _unknownDevices.Add(u.DeviceId);
        return AllAnswered();
    }

    public bool OnAppended(JournalProtocol.Appended a)
    {
        switch (_phase)
        {
            case Phase.Writing:
                CommitToDevices(a);
                _replyTo.Tell(Accepted.Of(_readings, IsDuplicate, a.Readings));
                return true;
            case Phase.Draining when JournalWriteOutstanding:
                CommitToDevices(a);
                return true;
            default:
                return false;
        }
    }

    public bool OnAppendFailed(JournalProtocol.AppendFailed f)
    {
        switch (_phase)
        {
            case Phase.Writing:
                // Not written: the seqs are released now, so the client's retry is stored once the journal is back.
                _toWrite.Clear();
                Fail(new Unavailable(f.Reason));
                return true;
            case Phase.Draining when JournalWriteOutstanding:
                ReleaseAll();
                return true;
            default:
                return false;
        }
    }

    /// <summary>The request's deadline: true when it has ended.</summary>
    public bool OnTick(long now)
    {
        if (now < _deadline) return false;
        switch (_phase)
        {
            case Phase.Reserving:
                Fail(new Unavailable("devices did not answer in time"));
                return false;
            case Phase.Writing:
                Fail(new Unavailable("the journal did not answer in time", MayBeStored: true));
                return false;
            default:
                if (JournalWriteOutstanding) ReleaseAll();
                return true;
        }
    }

    // Every device must answer before the request goes on or gives up, so that no seq a device held for it stays held.
    private bool AllAnswered()
    {
        if (_duplicatesByDevice.Count + _unknownDevices.Count < _seqsByDevice.Count) return false;
        if (_unknownDevices.Count == 0) return WriteNew();
        var index = 0;
        while (!_unknownDevices.Contains(_readings[index].DeviceId)) index++;
        Fail(new DeviceNotFound(_readings[index].DeviceId, index));
        return false;
    }

    private bool WriteNew()
    {
        _toWrite = new List<int>(_readings.Count);
        for (var i = 0; i < _readings.Count; i++)
            if (!IsDuplicate(i)) _toWrite.Add(i);
        if (_toWrite.Count == 0)
        {
            _replyTo.Tell(Accepted.AllDuplicates(_readings));
            return true;
        }
        var batch = new List<Reading>(_toWrite.Count);
        foreach (var i in _toWrite) batch.Add(_readings[i]);
        _journal.Tell(new JournalProtocol.Append(batch, _coordinator, Id));
        _phase = Phase.Writing;
        return false;
    }

    private bool IsDuplicate(int index) =>
        _duplicateInRequest[index] ||
        (_readings[index].Seq is { } seq && _duplicatesByDevice[_readings[index].DeviceId].Contains(seq));

    private void CommitToDevices(JournalProtocol.Appended appended)
    {
        var byDevice = new Dictionary<int, List<Reading>>();
        foreach (var journaled in appended.Readings)
        {
            var id = journaled.Reading.DeviceId;
            if (!byDevice.TryGetValue(id, out var stored)) byDevice[id] = stored = new List<Reading>();
            stored.Add(journaled.Reading);
        }
        foreach (var (deviceId, stored) in byDevice) _devices[deviceId].Tell(new Commit(deviceId, stored), _coordinator);
    }

    /// <summary>Answers the client and releases what devices hold for this request; then drains for a while.</summary>
    private void Fail(IIngestResult result)
    {
        _replyTo.Tell(result);
        // While a journal write may still land, its seqs stay held: a retry then waits instead of writing twice.
        if (!JournalWriteOutstanding) ReleaseAll();
        _phase = Phase.Draining;
        _deadline = Environment.TickCount64 + DrainTime;
    }

    private void ReleaseAll()
    {
        foreach (var (deviceId, duplicates) in _duplicatesByDevice) Release(deviceId, duplicates);
    }

    private void Release(int deviceId, IReadOnlySet<long> duplicates)
    {
        var held = _seqsByDevice[deviceId].Where(s => !duplicates.Contains(s)).ToList();
        if (held.Count > 0) _devices[deviceId].Tell(new Release(deviceId, held), _coordinator);
    }
}
