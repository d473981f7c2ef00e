using Akka.Actor;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Actors.Devices;

/// <summary>
/// A request of this device's readings alone — every single reading, and a board replaying its buffer — taken whole:
/// the device decides which seqs are retries, holds the others, hands the new readings to the journal and answers the
/// door when the journal (and the read model after it) has them. That is three messages a request (door → manager →
/// device, device → journal, read model → device) where a request actor took eleven and an actor of its own; a request
/// that spans devices still goes through <see cref="IngestRequestActor"/>. The rules are the request actor's: nothing is
/// half-applied, a write that failed releases its seqs, and a write the journal did not answer in time keeps them held a
/// while longer, since it may still land, so that a retry waits instead of writing twice.
/// </summary>
public sealed partial class DeviceActor
{
    private sealed record ExpireWrites
    {
        public static readonly ExpireWrites Instance = new();
    }

    /// <summary>How long after its answer a write the journal never answered keeps its seqs held.</summary>
    private static readonly TimeSpan HoldUnanswered = TimeSpan.FromSeconds(30);

    private sealed class Write(IngestOwn request, bool[] duplicate, List<long>? held, long startedMs)
    {
        public IngestOwn Request { get; } = request;
        public bool[] Duplicate { get; } = duplicate;
        public List<long>? Held { get; } = held;
        public long StartedMs { get; } = startedMs;
        public bool Answered { get; set; }
    }

    private readonly IActorRef _journal;
    private readonly Dictionary<long, Write> _writes = new();
    private long _nextWrite;

    private void HandleIngest(IngestOwn request)
    {
        if (!KnownOrRegistered())
        {
            request.ReplyTo.Tell(new DeviceNotFound(DeviceId, 0));
            return;
        }
        var readings = request.Readings;
        foreach (var r in readings)
        {
            if (r.Seq is not { } inFlight || _state.Check(inFlight) != SeqStatus.InFlight) continue;
            _parked.Add((request, request.ReplyTo, Environment.TickCount64));
            return;
        }

        var duplicate = new bool[readings.Count];
        var seen = readings.Count > 1 ? new HashSet<long>() : null;
        List<long>? held = null;
        var toWrite = 0;
        for (var i = 0; i < readings.Count; i++)
        {
            if (readings[i].Seq is { } seq)
            {
                // The first of a seq named twice in one request decides; the second is a duplicate whatever the first is.
                if ((seen is not null && !seen.Add(seq)) || _state.Check(seq) == SeqStatus.Duplicate)
                {
                    duplicate[i] = true;
                    continue;
                }
                _state.Reserve(seq);
                (held ??= new List<long>()).Add(seq);
            }
            toWrite++;
        }
        if (toWrite == 0)
        {
            request.ReplyTo.Tell(Accepted.AllDuplicates(readings));
            return;
        }

        var id = ++_nextWrite;
        _writes[id] = new Write(request, duplicate, held, Environment.TickCount64);
        var batch = toWrite == readings.Count ? readings : readings.Where((_, i) => !duplicate[i]).ToList();
        _journal.Tell(new JournalProtocol.Append(batch, Self, id));
        if (_writes.Count == 1) Timers.StartPeriodicTimer("expire", ExpireWrites.Instance, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// A request that waited for another write of its seqs. One that waited past the request timeout has been answered
    /// 503 by its door already ("retry with the same seq"): it is not written late behind the client's back, where the
    /// client's own retry would then find its reading stored and hear "duplicate".
    /// </summary>
    private void HandleParkedIngest(IngestOwn request, long sinceMs)
    {
        if (Environment.TickCount64 - sinceMs < (long)_settings.RequestTimeout.TotalMilliseconds)
        {
            HandleIngest(request);
            return;
        }
        request.ReplyTo.Tell(new Unavailable("another write of the same seq was in flight until the request timed out"));
    }

    private void OnAppended(JournalProtocol.Appended appended)
    {
        // Stored is stored, answered in time or not: the seqs move from held to stored.
        foreach (var journaled in appended.Readings) _state.Stored(journaled.Reading);
        if (_writes.Remove(appended.CorrelationId, out var write) && !write.Answered)
        {
            write.Request.ReplyTo.Tell(Accepted.Of(write.Request.Readings, i => write.Duplicate[i], appended.Readings));
        }
        WritesEnded();
    }

    private void OnAppendFailed(JournalProtocol.AppendFailed failed)
    {
        if (_writes.Remove(failed.CorrelationId, out var write))
        {
            ReleaseHeld(write);
            if (!write.Answered) write.Request.ReplyTo.Tell(new Unavailable(failed.Reason));
        }
        WritesEnded();
    }

    /// <summary>
    /// Answers a write the journal has not answered within the request timeout (it may still land), and releases its seqs
    /// once it is <see cref="HoldUnanswered"/> past that: a journal that restarted never answers what it had buffered.
    /// </summary>
    private void Expire()
    {
        var now = Environment.TickCount64;
        var answerAfter = (long)_settings.RequestTimeout.TotalMilliseconds;
        var releaseAfter = answerAfter + (long)HoldUnanswered.TotalMilliseconds;
        List<long>? ended = null;
        foreach (var (id, write) in _writes)
        {
            var age = now - write.StartedMs;
            if (!write.Answered && age >= answerAfter)
            {
                write.Request.ReplyTo.Tell(new Unavailable("the journal did not answer in time", MayBeStored: true));
                write.Answered = true;
            }
            if (age < releaseAfter) continue;
            ReleaseHeld(write);
            (ended ??= new List<long>()).Add(id);
        }
        if (ended is null) return;
        foreach (var id in ended) _writes.Remove(id);
        WritesEnded();
    }

    private void ReleaseHeld(Write write)
    {
        if (write.Held is null) return;
        foreach (var seq in write.Held) _state.Release(seq);
    }

    private void WritesEnded()
    {
        if (_writes.Count == 0) Timers.Cancel("expire");
        RetryParked();
    }
}
