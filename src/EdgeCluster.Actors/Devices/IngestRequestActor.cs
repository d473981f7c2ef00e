using Akka.Actor;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// One HTTP request's readings on their way in: asks each device which seqs are retries and holds
/// the rest, journals what is new as one append, then tells the devices what was stored and answers
/// the client. Any failure releases what it held, so nothing is half-applied.
/// </summary>
public sealed class IngestRequestActor : ReceiveActor, IWithTimers
{
    private sealed record TimedOut;
    private sealed record DrainOver;

    /// <summary>How long a request that failed stays to release seqs that devices reserve for it late.</summary>
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(30);

    private readonly IReadOnlyList<Reading> _readings;
    private readonly IActorRef _replyTo;
    private readonly IActorRef _devices;
    private readonly IActorRef _journal;
    private readonly long _requestId;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<int, List<long>> _seqsByDevice = new();
    private readonly Dictionary<int, IReadOnlySet<long>> _duplicatesByDevice = new();
    private readonly HashSet<int> _unknownDevices = new();
    private readonly bool[] _duplicateInRequest;
    private List<int> _toWrite = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public IngestRequestActor(IReadOnlyList<Reading> readings, IActorRef replyTo, IActorRef devices, IActorRef journal,
        long requestId, TimeSpan timeout)
    {
        _readings = readings;
        _replyTo = replyTo;
        _devices = devices;
        _journal = journal;
        _requestId = requestId;
        _duplicateInRequest = new bool[readings.Count];
        _timeout = timeout;

        var seen = new HashSet<(int, long)>();
        for (var i = 0; i < readings.Count; i++)
        {
            var r = readings[i];
            if (!_seqsByDevice.TryGetValue(r.DeviceId, out var seqs)) _seqsByDevice[r.DeviceId] = seqs = new List<long>();
            if (r.Seq is not { } seq) continue;
            if (seen.Add((r.DeviceId, seq))) seqs.Add(seq);
            else _duplicateInRequest[i] = true;
        }
        Become(Reserving);
    }

    protected override void PreStart()
    {
        Timers.StartSingleTimer("timeout", new TimedOut(), _timeout);
        foreach (var (deviceId, seqs) in _seqsByDevice) _devices.Tell(new Reserve(deviceId, _requestId, seqs));
    }

    private void Reserving()
    {
        Receive<Reserved>(r =>
        {
            _duplicatesByDevice[r.DeviceId] = r.Duplicates;
            AllAnswered();
        });
        Receive<UnknownDevice>(u =>
        {
            _unknownDevices.Add(u.DeviceId);
            AllAnswered();
        });
        Receive<TimedOut>(_ => Fail(new Unavailable("devices did not answer in time")));
    }

    // Every device must answer before the request goes on or gives up, so that no seq a device
    // held for it stays held.
    private void AllAnswered()
    {
        if (_duplicatesByDevice.Count + _unknownDevices.Count < _seqsByDevice.Count) return;
        if (_unknownDevices.Count == 0)
        {
            WriteNew();
            return;
        }
        var index = _readings.Select((r, i) => (r, i)).First(x => _unknownDevices.Contains(x.r.DeviceId)).i;
        Fail(new DeviceNotFound(_readings[index].DeviceId, index));
    }

    private void WriteNew()
    {
        _toWrite = Enumerable.Range(0, _readings.Count).Where(i => !IsDuplicate(i)).ToList();
        if (_toWrite.Count == 0)
        {
            Finish(Accepted.AllDuplicates(_readings));
            return;
        }
        _journal.Tell(new JournalProtocol.Append(_toWrite.Select(i => _readings[i]).ToList(), Self, _requestId));
        Become(Writing);
    }

    private bool IsDuplicate(int index) =>
        _duplicateInRequest[index] ||
        (_readings[index].Seq is { } seq && _duplicatesByDevice[_readings[index].DeviceId].Contains(seq));

    private void Writing()
    {
        Receive<JournalProtocol.Appended>(a =>
        {
            CommitToDevices(a);
            Finish(Accepted.Of(_readings, IsDuplicate, a.Readings));
        });
        Receive<JournalProtocol.AppendFailed>(f => Fail(new Unavailable(f.Reason)));
        Receive<TimedOut>(_ => Fail(new Unavailable("the journal did not answer in time", MayBeStored: true)));
    }

    private void CommitToDevices(JournalProtocol.Appended appended)
    {
        foreach (var group in appended.Readings.GroupBy(j => j.Reading.DeviceId))
            _devices.Tell(new Commit(group.Key, group.Select(j => j.Reading).ToList()));
    }

    /// <summary>
    /// Answers the client, releases what devices hold for this request and stays a while: a device
    /// that answers late gets its seqs released, and a journal write that lands late is still
    /// committed to its devices, so their seqs are never left in flight.
    /// </summary>
    private void Fail(IIngestResult result)
    {
        _replyTo.Tell(result);
        // While a journal write may still land, its seqs stay held: a retry then waits instead of writing twice.
        var journalWriteOutstanding = _toWrite.Count > 0;
        if (!journalWriteOutstanding) ReleaseAll();
        Timers.StartSingleTimer("drain", new DrainOver(), DrainTime);
        Become(() =>
        {
            Receive<Reserved>(r => Release(r.DeviceId, r.Duplicates));
            Receive<JournalProtocol.Appended>(a =>
            {
                CommitToDevices(a);
                Context.Stop(Self);
            });
            Receive<JournalProtocol.AppendFailed>(_ =>
            {
                ReleaseAll();
                Context.Stop(Self);
            });
            Receive<DrainOver>(_ =>
            {
                if (journalWriteOutstanding) ReleaseAll();
                Context.Stop(Self);
            });
            ReceiveAny(_ => { });
        });
    }

    private void ReleaseAll()
    {
        foreach (var (deviceId, duplicates) in _duplicatesByDevice) Release(deviceId, duplicates);
    }

    private void Release(int deviceId, IReadOnlySet<long> duplicates)
    {
        var held = _seqsByDevice[deviceId].Where(s => !duplicates.Contains(s)).ToList();
        if (held.Count > 0) _devices.Tell(new Release(deviceId, held));
    }

    private void Finish(IIngestResult result)
    {
        _replyTo.Tell(result);
        Context.Stop(Self);
    }
}
