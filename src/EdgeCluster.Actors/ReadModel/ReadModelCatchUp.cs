using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Actors.ReadModel;

/// <summary>
/// Brings the read model up to the journal after a restart: every group the journal holds past the
/// read model's offset is applied again (idempotently), so a crash between journal write and
/// read-model write loses nothing.
/// </summary>
public static class ReadModelCatchUp
{
    /// <param name="writer">
    /// The running node's read-model writer: each batch is applied by it, between its other writes. The read model has one
    /// writer connection, and the writer is already applying what other members push or pull while the node catches up;
    /// applying beside it failed the node's start ("SqliteConnection does not support nested transactions"). Without
    /// one (a spec's store that nothing else writes), batches are applied here.
    /// </param>
    public static async Task<long> RunAsync(ActorSystem system, ReadModelStore store, string persistenceId,
        string queryPluginId, CancellationToken cancellationToken = default, IActorRef? writer = null)
    {
        var highest = await JournalStartedAsync(system, persistenceId, cancellationToken);
        var from = store.Writer.ProjectionOffset() + 1;
        // The read model already holds every group the journal does (every clean stop, every empty start): the read journal,
        // whose queries linq2db builds at first use (a few hundred milliseconds of a node's start), is not needed.
        if (from > highest) return 0;
        var readJournal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(queryPluginId);
        long groups = 0;
        await readJournal.CurrentEventsByPersistenceId(persistenceId, from, long.MaxValue)
            .Grouped(64)
            .SelectAsync(1, async envelopes =>
            {
                var batch = envelopes.Where(e => e.Event is ReadingsJournaled).ToList();
                if (batch.Count == 0) return 0;
                int Apply()
                {
                    store.Writer.Apply(batch.Select(e => (ReadingsJournaled)e.Event), batch.Max(e => e.SequenceNr));
                    return batch.Count;
                }
                if (writer is null) return Apply();
                var written = await writer.Ask<ReadModelProtocol.Written>(new ReadModelProtocol.Write(Apply), TimeSpan.FromMinutes(1),
                    cancellationToken);
                return written.Count;
            })
            .RunForeach(applied => groups += applied, system.Materializer()).WaitAsync(cancellationToken);
        return groups;
    }

    /// <summary>How long a node's start waits for the SQL journal to open its file and tables.</summary>
    public static readonly TimeSpan JournalStartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Waits until the write journal has initialized (opened its file, created its tables) and answers. Akka.Persistence.Sql's
    /// read journal waits for that itself, blocking and for 5 s only, and throws after: five nodes starting at once on two
    /// cores (a lab's <c>edgectl lab up</c>, a soak) went past it, and the node failed to start. The journal stashes what
    /// it is sent until it has initialized, so a replay of nothing (max 0) is answered as soon as it can serve, with the
    /// journal's highest sequence number.
    /// </summary>
    /// <returns>The highest sequence number the journal holds for <paramref name="persistenceId"/> (the replay's answer).</returns>
    private static async Task<long> JournalStartedAsync(ActorSystem system, string persistenceId, CancellationToken cancellationToken)
    {
        var journal = Akka.Persistence.Persistence.Instance.Apply(system).JournalFor(null);
        var reply = await journal.Ask<object>(replyTo => new Akka.Persistence.ReplayMessages(0, 0, 0, persistenceId, replyTo),
            JournalStartTimeout, cancellationToken);
        return reply is Akka.Persistence.RecoverySuccess success ? success.HighestSequenceNr : long.MaxValue;
    }
}
