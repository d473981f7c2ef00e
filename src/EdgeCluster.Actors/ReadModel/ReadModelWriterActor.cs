using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Actors.ReadModel;

public static class ReadModelProtocol
{
    /// <summary>A journaled group to apply to the query tables, and who waits for it.</summary>
    public sealed record ApplyJournaled(ReadingsJournaled Group, long JournalSequenceNr, IReadOnlyList<JournalProtocol.Waiter> Waiters);

    /// <summary>
    /// Published on the actor system's event stream after each commit: the readings new to this member, accepted here or
    /// replicated, each once (a copy of a reading it already shows is not new). The MQTT door's subscribers read it.
    /// </summary>
    public sealed record ReadingsStored(IReadOnlyList<JournaledReading> Readings);

    /// <summary>Published on the event stream once a group of this member's own journal is in the read model: the replicator pushes it.</summary>
    public sealed record GroupJournaled(ReadingsJournaled Group);

    /// <summary>
    /// Local only: another part's write to the read model (retention's expiry, folding, dropping), run by the writer between
    /// its applies so that the file has one writer; answered with <see cref="Written"/> (or a failure).
    /// </summary>
    public sealed record Write(Func<int> Work);

    public sealed record Written(int Count);
}

/// <summary>
/// The read model's only writer: applies journaled groups as the journal writes them, then answers
/// each waiter, so a client that was acknowledged can read its reading back at once; and applies
/// the readings that replication pulled from other members.
/// Journaled groups that queue up while a transaction runs are applied together in the next one (up to
/// <see cref="MaxReadingsPerTransaction"/>): what a transaction costs besides its rows — the commit, a device's row, last
/// seen time and rollup — is paid once for all of them instead of once per group, so the writer keeps up with a journal
/// that commits one request at a time.
/// A transaction that fails on the file (SQLite's error: the disk full, an I/O error, the file locked past the busy
/// timeout) rolled back whole; the journal holds its readings, so the writer keeps them and tries again every
/// <see cref="RetryAfter"/>, in order, with everything else it is asked to write waiting behind them. Their waiters are
/// answered when they commit (a waiter whose request timed out meanwhile was answered "may be stored" by its device);
/// nothing acknowledged is left out of the read model until the next start.
/// </summary>
public sealed class ReadModelWriterActor : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    /// <summary>Journaled groups are combined into one transaction up to this many readings (a group is never split).</summary>
    public const int MaxReadingsPerTransaction = 10_000;

    /// <summary>How long the writer waits before it tries a failed transaction again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private sealed class ApplyQueued
    {
        public static readonly ApplyQueued Instance = new();
    }

    private sealed class RetryQueued
    {
        public static readonly RetryQueued Instance = new();
    }

    private readonly ReadModelStore _store;
    private readonly Akka.Event.EventStream _events;
    private readonly Akka.Event.ILoggingAdapter _log = Akka.Event.Logging.GetLogger(Context);
    private readonly List<ReadModelProtocol.ApplyJournaled> _queued = new();
    private bool _applyScheduled;
    private int _failures;

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    public ReadModelWriterActor(ReadModelStore store)
    {
        _store = store;
        _events = Context.System.EventStream;
        Writing();
    }

    private void Writing()
    {
        Receive<ReadModelProtocol.Write>(m =>
        {
            if (!ApplyJournaled())
            {
                Stash.Stash();
                return;
            }
            try
            {
                Sender.Tell(new ReadModelProtocol.Written(m.Work()));
            }
            catch (Exception e)
            {
                Sender.Tell(new Status.Failure(e));
            }
        });
        Receive<ReadModelProtocol.ApplyJournaled>(m =>
        {
            // Applied when the message below is handled: after every group that is in the mailbox now.
            _queued.Add(m);
            if (_applyScheduled) return;
            _applyScheduled = true;
            Self.Tell(ApplyQueued.Instance);
        });
        Receive<ApplyQueued>(_ => ApplyJournaled());
        Receive<Replication.ReplicationProtocol.ApplyReplicated>(m =>
        {
            if (!ApplyJournaled())
            {
                Stash.Stash();
                return;
            }
            ApplyReplicated(m);
        });
    }

    /// <summary>After a failed transaction: journaled groups queue behind the failed ones, everything else waits in the stash.</summary>
    private void Retrying()
    {
        Receive<ReadModelProtocol.ApplyJournaled>(m => _queued.Add(m));
        Receive<ApplyQueued>(_ => { });
        Receive<RetryQueued>(_ =>
        {
            if (!ApplyJournaled()) return;
            _log.Info("Read model: the failed transaction committed on try {0}; writing again", _failures + 1);
            _failures = 0;
            Become(Writing);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void ApplyReplicated(Replication.ReplicationProtocol.ApplyReplicated m)
    {
        // An expired range first: the readings that follow it continue the origin's stream from its end.
        foreach (var range in m.Expired) _store.ExpiredRanges.Take(range);
        var fresh = new List<JournaledReading>();
        var started = EdgeMetrics.Now();
        // A group that does not continue what this member holds of its origin is left out (its readings come again by a pull):
        // a push can arrive past a gap, and so can a pull sent before the reply ahead of it was applied, should that apply fail.
        var gapped = new List<ReadingsJournaled>();
        var inserted = _store.Writer.Apply(m.Groups, journalSequenceNr: null, durable: m.Durable, fresh: fresh, gapped: gapped);
        EdgeMetrics.ReadModelApply(m.Pushed ? "push" : "replication", EdgeMetrics.Since(started));
        if (fresh.Count > 0) _events.Publish(new ReadModelProtocol.ReadingsStored(fresh));
        m.ReplyTo.Tell(new Replication.ReplicationProtocol.ReplicatedApplied(m.Groups.Sum(g => g.Readings.Count), inserted, m.Source)
        {
            Pushed = m.Pushed,
            PullId = m.PullId,
            Durable = m.Durable,
            Gapped = gapped.Sum(g => g.Readings.Count),
        });
    }

    /// <summary>
    /// Applies the queued journaled groups, in journal order, in as few transactions as the size cap allows. False when a
    /// transaction failed: it and the groups after it stay queued, and the writer retries them in <see cref="RetryAfter"/>.
    /// </summary>
    private bool ApplyJournaled()
    {
        _applyScheduled = false;
        var start = 0;
        while (start < _queued.Count)
        {
            var end = start + 1;
            var readings = _queued[start].Group.Readings.Count;
            while (end < _queued.Count && readings + _queued[end].Group.Readings.Count <= MaxReadingsPerTransaction)
                readings += _queued[end++].Group.Readings.Count;
            try
            {
                Apply(_queued.GetRange(start, end - start), readings);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                _queued.RemoveRange(0, start);
                Failed(e, readings);
                return false;
            }
            start = end;
        }
        _queued.Clear();
        return true;
    }

    private void Failed(Exception e, int readings)
    {
        EdgeMetrics.ReadModelApplyFailed();
        // Every failure the first minute, then one a minute: a full disk fails every try.
        if (_failures < 60 || _failures % 60 == 0)
            _log.Warning("Read model: a transaction of {0} readings failed and rolled back ({1}); the journal has them, trying again in {2} s ({3} readings queued)",
                readings, e.Message, RetryAfter.TotalSeconds, _queued.Sum(q => q.Group.Readings.Count));
        _failures++;
        Become(Retrying);
        Timers.StartSingleTimer("retry", RetryQueued.Instance, RetryAfter);
    }

    private void Apply(List<ReadModelProtocol.ApplyJournaled> applies, int readings)
    {
        var fresh = new List<JournaledReading>(readings);
        var started = EdgeMetrics.Now();
        _store.Writer.Apply(applies.Select(a => a.Group), applies[^1].JournalSequenceNr, fresh: fresh);
        EdgeMetrics.ReadModelApply("journal", EdgeMetrics.Since(started));
        if (fresh.Count > 0) _events.Publish(new ReadModelProtocol.ReadingsStored(fresh));
        foreach (var m in applies)
        {
            _events.Publish(new ReadModelProtocol.GroupJournaled(m.Group));
            foreach (var w in m.Waiters)
            {
                var slice = new JournaledReading[w.Count];
                for (var i = 0; i < w.Count; i++) slice[i] = m.Group.Readings[w.Start + i];
                w.ReplyTo.Tell(new JournalProtocol.Appended(w.CorrelationId, slice));
            }
        }
    }
}

public static class ReadModelWriterHosting
{
    public const string SqliteDispatcher = "edge-sqlite-dispatcher";

    public static AkkaConfigurationBuilder AddReadModelWriter(this AkkaConfigurationBuilder builder) =>
        builder
            .AddHocon($"{SqliteDispatcher} {{ type = Dispatcher, executor = thread-pool-executor, throughput = 100 }}", HoconAddMode.Append)
            .WithActors((system, registry, resolver) =>
            {
                var store = resolver.GetService<ReadModelStore>();
                var props = Props.Create(() => new ReadModelWriterActor(store)).WithDispatcher(SqliteDispatcher);
                registry.Register<ReadModelWriterActor>(system.ActorOf(props, "read-model-writer"));
            });
}
