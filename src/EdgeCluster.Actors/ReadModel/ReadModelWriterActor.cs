using Akka.Actor;
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
/// </summary>
public sealed class ReadModelWriterActor : ReceiveActor
{
    /// <summary>Journaled groups are combined into one transaction up to this many readings (a group is never split).</summary>
    public const int MaxReadingsPerTransaction = 10_000;

    private sealed class ApplyQueued
    {
        public static readonly ApplyQueued Instance = new();
    }

    private readonly ReadModelStore _store;
    private readonly Akka.Event.EventStream _events;
    private readonly List<ReadModelProtocol.ApplyJournaled> _queued = new();
    private bool _applyScheduled;

    public ReadModelWriterActor(ReadModelStore store)
    {
        _store = store;
        _events = Context.System.EventStream;
        Receive<ReadModelProtocol.Write>(m =>
        {
            ApplyJournaled();
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
            ApplyJournaled();
            // An expired range first: the readings that follow it continue the origin's stream from its end.
            foreach (var range in m.Expired) store.ExpiredRanges.Take(range);
            var fresh = new List<JournaledReading>();
            var started = EdgeMetrics.Now();
            var gapped = m.Pushed ? new List<ReadingsJournaled>() : null;
            var inserted = store.Writer.Apply(m.Groups, journalSequenceNr: null, durable: m.Durable, fresh: fresh, gapped: gapped);
            EdgeMetrics.ReadModelApply(m.Pushed ? "push" : "replication", EdgeMetrics.Since(started));
            if (fresh.Count > 0) _events.Publish(new ReadModelProtocol.ReadingsStored(fresh));
            m.ReplyTo.Tell(new Replication.ReplicationProtocol.ReplicatedApplied(m.Groups.Sum(g => g.Readings.Count), inserted, m.Source)
            {
                Pushed = m.Pushed,
                Durable = m.Durable,
                Gapped = gapped?.Sum(g => g.Readings.Count) ?? 0,
            });
        });
    }

    /// <summary>Applies the queued journaled groups, in journal order, in as few transactions as the size cap allows.</summary>
    private void ApplyJournaled()
    {
        _applyScheduled = false;
        var start = 0;
        while (start < _queued.Count)
        {
            var end = start + 1;
            var readings = _queued[start].Group.Readings.Count;
            while (end < _queued.Count && readings + _queued[end].Group.Readings.Count <= MaxReadingsPerTransaction)
                readings += _queued[end++].Group.Readings.Count;
            Apply(_queued.GetRange(start, end - start), readings);
            start = end;
        }
        _queued.Clear();
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
