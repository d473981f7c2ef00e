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

    private readonly IReadOnlyList<Reading> _readings;
    private readonly IActorRef _replyTo;
    private readonly IActorRef _devices;
    private readonly IActorRef _journal;
    private readonly long _requestId;
    private readonly TimeSpan _timeout;
    private readonly Dictionary<int, List<long>> _seqsByDevice = new();
    private readonly Dictionary<int, IReadOnlySet<long>> _duplicatesByDevice = new();
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
            if (_duplicatesByDevice.Count < _seqsByDevice.Count) return;
            WriteNew();
        });
        Receive<UnknownDevice>(u =>
        {
            ReleaseHeld();
            var index = _readings.ToList().FindIndex(r => r.DeviceId == u.DeviceId);
            Finish(new DeviceNotFound(u.DeviceId, index));
        });
        Receive<TimedOut>(_ =>
        {
            ReleaseHeld();
            Finish(new Unavailable("devices did not answer in time"));
        });
    }

    private void WriteNew()
    {
        _toWrite = Enumerable.Range(0, _readings.Count).Where(i => !IsDuplicate(i)).ToList();
        if (_toWrite.Count == 0)
        {
            Finish(new Accepted(_readings.Select(r => new Outcome(r, true, null, null)).ToList()));
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
            var outcomes = _readings.Select(r => new Outcome(r, true, null, null)).ToArray();
            for (var k = 0; k < _toWrite.Count; k++)
                outcomes[_toWrite[k]] = new Outcome(_readings[_toWrite[k]], false, a.Readings[k].OriginNode, a.Readings[k].OriginSeq);
            foreach (var group in a.Readings.GroupBy(j => j.Reading.DeviceId))
                _devices.Tell(new Commit(group.Key, group.Select(j => j.Reading).ToList()));
            Finish(new Accepted(outcomes));
        });
        Receive<JournalProtocol.AppendFailed>(f =>
        {
            ReleaseHeld();
            Finish(new Unavailable(f.Reason));
        });
        Receive<TimedOut>(_ =>
        {
            ReleaseHeld();
            Finish(new Unavailable("the journal did not answer in time"));
        });
    }

    private void ReleaseHeld()
    {
        foreach (var (deviceId, seqs) in _seqsByDevice)
        {
            if (!_duplicatesByDevice.TryGetValue(deviceId, out var duplicates)) continue;
            var held = seqs.Where(s => !duplicates.Contains(s)).ToList();
            if (held.Count > 0) _devices.Tell(new Release(deviceId, held));
        }
    }

    private void Finish(IIngestResult result)
    {
        _replyTo.Tell(result);
        Context.Stop(Self);
    }
}
