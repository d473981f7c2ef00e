using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Pattern;
using Akka.Persistence;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Journal.JournalProtocol;

namespace EdgeCluster.Actors.Journal;

/// <summary>
/// This node's log of accepted readings. Appends that arrive while a write is in flight are
/// group-committed as one event, so one journal row holds many readings and a batch request is
/// stored whole or not at all. After the write the group goes to the read-model writer, which
/// answers the waiters: a reading is acknowledged only once it is durable here.
/// </summary>
public sealed class ReadingJournalActor : ReceivePersistentActor
{
    private readonly IngestSettings _settings;
    private readonly IActorRef _readModelWriter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<Append> _buffer = new();
    private JournalState _state;
    private bool _writing;
    private List<Waiter> _inFlightWaiters = new();
    private (long SequenceNr, IActorRef ReplyTo)? _compaction;

    public ReadingJournalActor(IngestSettings settings, IActorRef readModelWriter)
    {
        _settings = settings;
        _readModelWriter = readModelWriter;
        _state = new JournalState(settings.NodeName);

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is JournalSnapshot s) _state = new JournalState(settings.NodeName, s.LastOriginSeq);
        });
        Recover<ReadingsJournaled>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
            _log.Info("Reading journal {0} recovered at sequence {1}, last origin seq {2}",
                PersistenceId, LastSequenceNr, _state.LastOriginSeq));

        Command<Append>(append =>
        {
            _buffer.Add(append);
            if (!_writing) Flush();
        });
        Command<SaveSnapshotSuccess>(ok =>
        {
            DeleteSnapshots(new SnapshotSelectionCriteria(ok.Metadata.SequenceNr - 1));
            // Events before the snapshot may go: recovery starts from it.
            if (_compaction is { } compaction) DeleteMessages(Math.Min(compaction.SequenceNr, ok.Metadata.SequenceNr));
        });
        Command<SaveSnapshotFailure>(failed =>
        {
            _log.Warning(failed.Cause, "Journal snapshot failed; recovery replays more events");
            EndCompaction(false, "snapshot failed: " + failed.Cause.Message);
        });
        Command<Ping>(_ => Sender.Tell(new Pong()));
        Command<Compact>(compact =>
        {
            if (_compaction is not null || compact.SequenceNr <= 0)
            {
                Sender.Tell(new Compacted(compact.SequenceNr, false, _compaction is null ? null : "a compaction is under way"));
                return;
            }
            _compaction = (Math.Min(compact.SequenceNr, LastSequenceNr), Sender);
            SaveSnapshot(new JournalSnapshot(_settings.NodeName, _state.LastOriginSeq));
        });
        Command<DeleteMessagesSuccess>(ok => EndCompaction(true, null));
        Command<DeleteMessagesFailure>(failed =>
        {
            _log.Warning(failed.Cause, "Deleting journal events up to {0} failed; the next retention run tries again", failed.ToSequenceNr);
            EndCompaction(false, failed.Cause.Message);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(failed => _log.Warning(failed.Cause, "Deleting old journal snapshots failed"));
    }

    public override string PersistenceId => _settings.JournalPersistenceId;

    private void Flush()
    {
        var readings = new List<Reading>();
        var waiters = new List<Waiter>();
        var taken = 0;
        // An append is never split: a batch request is one atomic write.
        while (taken < _buffer.Count &&
               (taken == 0 || readings.Count + _buffer[taken].Readings.Count <= _settings.MaxGroupReadings))
        {
            var append = _buffer[taken++];
            waiters.Add(new Waiter(append.ReplyTo, append.CorrelationId, readings.Count, append.Readings.Count));
            readings.AddRange(append.Readings);
        }
        _buffer.RemoveRange(0, taken);

        var group = _state.Number(readings);
        _writing = true;
        _inFlightWaiters = waiters;
        var started = EdgeMetrics.Now();
        PersistAsync(group, journaled =>
        {
            EdgeMetrics.JournalWrite(journaled.Readings.Count, EdgeMetrics.Since(started));
            _state.Apply(journaled);
            _readModelWriter.Tell(new ReadModelProtocol.ApplyJournaled(journaled, LastSequenceNr, waiters));
            _writing = false;
            if (LastSequenceNr % _settings.SnapshotEvery == 0)
                SaveSnapshot(new JournalSnapshot(_settings.NodeName, _state.LastOriginSeq));
            if (_buffer.Count > 0) Flush();
        });
    }

    private void EndCompaction(bool deleted, string? error)
    {
        if (_compaction is not { } compaction) return;
        compaction.ReplyTo.Tell(new Compacted(compaction.SequenceNr, deleted, error));
        _compaction = null;
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        FailWaiters(_inFlightWaiters, "journal write failed: " + cause.Message);
        FailWaiters(_buffer.Select(a => new Waiter(a.ReplyTo, a.CorrelationId, 0, 0)), "journal restarting");
        _buffer.Clear();
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        FailWaiters(_inFlightWaiters, "journal rejected the write: " + cause.Message);
        base.OnPersistRejected(cause, @event, sequenceNr);
        _writing = false;
        if (_buffer.Count > 0) Flush();
    }

    private static void FailWaiters(IEnumerable<Waiter> waiters, string reason)
    {
        foreach (var w in waiters) w.ReplyTo.Tell(new AppendFailed(w.CorrelationId, reason));
    }
}

/// <summary>
/// Answers an append that never reached the journal with <see cref="AppendFailed"/> at once: one sent while the journal
/// was stopped between two restarts (its backoff supervisor passes it to dead letters), or taken by a journal that
/// stopped before it was handled (a failed recovery drops what it had stashed). A dead letter was not written, so its
/// writer may release the seqs it held: the client's retry after the journal is back is stored at once, instead of
/// waiting for a write that cannot land to time out.
/// </summary>
public sealed class UndeliveredAppendsActor : ReceiveActor
{
    public UndeliveredAppendsActor()
    {
        Receive<DeadLetter>(dead =>
        {
            if (dead.Message is Append append)
                append.ReplyTo.Tell(new AppendFailed(append.CorrelationId, "the journal is restarting"));
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));
}

public static class ReadingJournalHosting
{
    /// <summary>The node's reading journal, restarted with backoff when its store fails.</summary>
    public static AkkaConfigurationBuilder AddReadingJournal(this AkkaConfigurationBuilder builder, IngestSettings settings) =>
        builder.WithActors((system, registry, _) =>
        {
            var writer = registry.Get<ReadModelWriterActor>();
            var journalProps = Props.Create(() => new ReadingJournalActor(settings, writer));
            var supervised = BackoffSupervisor.Props(Backoff.OnStop(journalProps, "journal",
                TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 0.2, -1));
            system.ActorOf(Props.Create<UndeliveredAppendsActor>(), "undelivered-appends");
            registry.Register<ReadingJournalActor>(system.ActorOf(supervised, "reading-journal"));
        });
}
