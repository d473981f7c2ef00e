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
    public static async Task<long> RunAsync(ActorSystem system, ReadModelStore store, string persistenceId,
        string queryPluginId, CancellationToken cancellationToken = default)
    {
        var readJournal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(queryPluginId);
        var from = store.Writer.ProjectionOffset() + 1;
        long groups = 0;
        await readJournal.CurrentEventsByPersistenceId(persistenceId, from, long.MaxValue)
            .Grouped(64)
            .RunForeach(envelopes =>
            {
                var batch = envelopes.Where(e => e.Event is ReadingsJournaled).ToList();
                if (batch.Count == 0) return;
                store.Writer.Apply(batch.Select(e => (ReadingsJournaled)e.Event), batch.Max(e => e.SequenceNr));
                groups += batch.Count;
            }, system.Materializer()).WaitAsync(cancellationToken);
        return groups;
    }
}
