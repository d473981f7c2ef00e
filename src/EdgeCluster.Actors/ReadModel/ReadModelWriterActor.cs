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
}

/// <summary>
/// The read model's only writer: applies journaled groups as the journal writes them, then answers
/// each waiter, so a client that was acknowledged can read its reading back at once; and applies
/// the readings that replication pulled from other members.
/// </summary>
public sealed class ReadModelWriterActor : ReceiveActor
{
    public ReadModelWriterActor(ReadModelStore store)
    {
        Receive<ReadModelProtocol.ApplyJournaled>(m =>
        {
            store.Writer.Apply([m.Group], m.JournalSequenceNr);
            foreach (var w in m.Waiters)
            {
                var slice = new JournaledReading[w.Count];
                for (var i = 0; i < w.Count; i++) slice[i] = m.Group.Readings[w.Start + i];
                w.ReplyTo.Tell(new JournalProtocol.Appended(w.CorrelationId, slice));
            }
        });
        Receive<Replication.ReplicationProtocol.ApplyReplicated>(m =>
        {
            var inserted = store.Writer.Apply(m.Groups, journalSequenceNr: null, durable: m.Durable);
            m.ReplyTo.Tell(new Replication.ReplicationProtocol.ReplicatedApplied(m.Groups.Sum(g => g.Readings.Count), inserted, m.Source));
        });
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
