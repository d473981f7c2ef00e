using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Streams.Dsl;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Journal.JournalProtocol;

namespace EdgeCluster.Tests.Actors;

public class ReadingJournalSpec(ITestOutputHelper output)
    : WritePathSpecBase(output, new IngestSettings("spec-node", SnapshotEvery: 3))
{
    private const string QueryPlugin = "akka.persistence.query.journal.sql";

    private static Reading R(int device, long? seq = null) => new(device, 21.0, 50.0, 1_780_000_000_000, 1_780_000_000_000, seq);

    private IActorRef StartJournal(IActorRef writer) =>
        Sys.ActorOf(Props.Create(() => new ReadingJournalActor(Settings, writer)));

    [Fact]
    public async Task Appends_arriving_during_a_write_are_group_committed_and_numbered_in_order()
    {
        var writer = CreateTestProbe();
        var journal = StartJournal(writer.Ref);
        const int appends = 50;
        for (var i = 0; i < appends; i++) journal.Tell(new Append([R(1, i), R(2, i)], TestActor, i));

        var groups = new List<ReadModelProtocol.ApplyJournaled>();
        var readings = 0;
        while (readings < appends * 2)
        {
            var group = await writer.ExpectMsgAsync<ReadModelProtocol.ApplyJournaled>();
            groups.Add(group);
            readings += group.Group.Readings.Count;
        }

        Assert.True(groups.Count < appends, $"{appends} appends were written as {groups.Count} groups");
        Assert.Equal(Enumerable.Range(1, appends * 2).Select(i => (long)i),
            groups.SelectMany(g => g.Group.Readings).Select(r => r.OriginSeq));
        var waiters = groups.SelectMany(g => g.Waiters).ToList();
        Assert.Equal(Enumerable.Range(0, appends).Select(i => (long)i), waiters.Select(w => w.CorrelationId));
        Assert.All(waiters, w => Assert.Equal(2, w.Count));
    }

    [Fact]
    public async Task Recovers_its_numbering_from_snapshot_and_events_after_a_restart()
    {
        var writer = CreateTestProbe();
        var first = StartJournal(writer.Ref);
        for (var i = 0; i < 7; i++)
        {
            first.Tell(new Append([R(1, i)], TestActor, i));
            await writer.ExpectMsgAsync<ReadModelProtocol.ApplyJournaled>();
        }
        await WatchAsync(first);
        first.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(first);

        await AwaitAssertAsync(() => Assert.True(CountRows("snapshot") >= 1));

        var second = StartJournal(writer.Ref);
        second.Tell(new Append([R(1, 100)], TestActor, 100));
        var group = await writer.ExpectMsgAsync<ReadModelProtocol.ApplyJournaled>();
        Assert.Equal(8, group.Group.FirstOriginSeq);
        Assert.Equal(8, group.JournalSequenceNr);
    }

    [Fact]
    public async Task The_read_model_catches_up_from_the_journal_after_it_lost_writes()
    {
        var writer = CreateTestProbe();
        var journal = StartJournal(writer.Ref);
        for (var i = 0; i < 4; i++)
        {
            journal.Tell(new Append([R(3, i), R(4, i)], TestActor, i));
            await writer.ExpectMsgAsync<ReadModelProtocol.ApplyJournaled>();
        }
        // The probe stood in for the read-model writer, so nothing reached the read model: as after a crash.
        Assert.Equal(0, Store.Queries.CountReadings());

        var applied = await ReadModelCatchUp.RunAsync(Sys, Store, Settings.JournalPersistenceId, QueryPlugin);

        Assert.Equal(4, applied);
        Assert.Equal(8, Store.Queries.CountReadings());
        Assert.Equal(4, Store.Writer.ProjectionOffset());
        Assert.Equal(0, await ReadModelCatchUp.RunAsync(Sys, Store, Settings.JournalPersistenceId, QueryPlugin));
    }

    [Fact]
    public void Journal_groups_and_snapshots_round_trip_through_the_chosen_serializer()
    {
        var group = new JournalState("pi-3", 99).Number([R(1, 5), R(2, null) with { Temperature = -4.25 }]);
        var serializer = Sys.Serialization.FindSerializerFor(group);
        Assert.IsType<JournalSerializer>(serializer);

        var back = (ReadingsJournaled)Sys.Serialization.Deserialize(serializer.ToBinary(group), serializer.Identifier,
            ((Akka.Serialization.SerializerWithStringManifest)serializer).Manifest(group));
        Assert.Equal(group.OriginNode, back.OriginNode);
        Assert.Equal(group.Readings, back.Readings);

        var snapshot = new JournalSnapshot("pi-3", 12345);
        var snapshotSerializer = (Akka.Serialization.SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(snapshot);
        Assert.Equal(snapshot, snapshotSerializer.FromBinary(snapshotSerializer.ToBinary(snapshot), snapshotSerializer.Manifest(snapshot)));
    }

    private long CountRows(string table)
    {
        using var c = new SqliteConnection($"Data Source={JournalPath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {table}";
        return (long)cmd.ExecuteScalar()!;
    }
}
