using EdgeCluster.Domain;
using EdgeCluster.Storage;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Storage;

/// <summary>The read model's side of replication, on real SQLite files: version vectors, pulling what is missing, one copy per (device, seq).</summary>
public sealed class ReplicationStoreTests : IDisposable
{
    private static readonly long T = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly TempDir _dir = new();
    private readonly List<ReadModelStore> _stores = new();

    private ReadModelStore NewStore(string name)
    {
        var store = new ReadModelStore(_dir.File(name + ".db"));
        _stores.Add(store);
        return store;
    }

    private static ReadingsJournaled Group(string origin, long firstOriginSeq, params (int Device, long? Seq, double T)[] readings) =>
        new(origin, readings.Select((r, i) => new JournaledReading(new Reading(r.Device, r.T, 50, T, T, r.Seq), origin, firstOriginSeq + i)).ToList());

    private static void Sync(ReadModelStore from, ReadModelStore to, int batch = 1000)
    {
        while (from.Replication.ReadingsAfter(to.Replication.VersionVector(), batch) is { Count: > 0 } missing) to.Writer.Apply(missing, null);
    }

    [Fact]
    public void A_pushed_group_past_a_gap_is_left_for_a_pull_and_the_vector_stays_a_prefix()
    {
        var b = NewStore("b");
        var gapped = new List<ReadingsJournaled>();
        // Origin pi-a's groups 1-2 and 3-4 arrive; 5-6 was lost on the way, 7-8 arrives.
        b.Writer.Apply([Group("pi-a", 1, (1, 1, 20), (1, 2, 21)), Group("pi-a", 3, (1, 3, 20), (1, 4, 21)), Group("pi-a", 7, (1, 7, 20), (1, 8, 21))],
            null, gapped: gapped);
        Assert.Equal(new Dictionary<string, long> { ["pi-a"] = 4 }, b.Replication.VersionVector());
        Assert.Equal([7L], gapped.Select(g => g.FirstOriginSeq));
        Assert.Equal(4, b.Queries.CountReadings());
        // A group that overlaps what is held continues it; a repeated one changes nothing.
        b.Writer.Apply([Group("pi-a", 4, (1, 4, 21), (1, 5, 22), (1, 6, 23)), Group("pi-a", 1, (1, 1, 20))], null, gapped: gapped);
        Assert.Equal(new Dictionary<string, long> { ["pi-a"] = 6 }, b.Replication.VersionVector());
        Assert.Equal(6, b.Queries.CountReadings());
        Assert.Single(gapped);
    }

    [Fact]
    public void A_member_pulls_what_it_lacks_and_ends_with_the_same_vector_and_readings()
    {
        var a = NewStore("a");
        var b = NewStore("b");
        a.Writer.Apply([Group("pi-a", 1, (1, 1, 20), (1, 2, 21), (2, null, 22))], 1);
        b.Writer.Apply([Group("pi-b", 1, (3, 1, 23))], 1);

        Sync(a, b, batch: 2);
        Sync(b, a);

        Assert.Equal(new Dictionary<string, long> { ["pi-a"] = 3, ["pi-b"] = 1 }, a.Replication.VersionVector());
        Assert.Equal(a.Replication.VersionVector(), b.Replication.VersionVector());
        Assert.Equal(4, a.Queries.CountReadings());
        Assert.Equal(4, b.Queries.CountReadings());
        Assert.Empty(a.Replication.ReadingsAfter(b.Replication.VersionVector(), 100));
    }

    [Fact]
    public void Pulls_are_bounded_and_each_run_is_a_consecutive_part_of_its_origins_stream()
    {
        var a = NewStore("a");
        a.Writer.Apply([Group("pi-a", 1, Enumerable.Range(1, 10).Select(i => (1, (long?)i, 20.0)).ToArray())], 1);
        var pulled = a.Replication.ReadingsAfter(new Dictionary<string, long> { ["pi-a"] = 3 }, 4);
        var run = Assert.Single(pulled);
        Assert.Equal([4L, 5L, 6L, 7L], run.Readings.Select(r => r.OriginSeq));
    }

    [Fact]
    public void A_reading_retried_on_two_members_is_shown_once_and_the_same_copy_everywhere()
    {
        // Device 9's seq 5 was accepted by pi-b first and, after a lost acknowledgment, by pi-a.
        var fromA = Group("pi-a", 1, (9, 5, 20.5));
        var fromB = Group("pi-b", 1, (9, 5, 20.7));
        var x = NewStore("x");
        var y = NewStore("y");
        x.Writer.Apply([fromA], null);
        x.Writer.Apply([fromB], null);
        y.Writer.Apply([fromB], null);
        y.Writer.Apply([fromA], null);

        foreach (var store in new[] { x, y })
        {
            var shown = Assert.Single(store.Queries.Readings(9, 10, null, null));
            Assert.Equal("pi-a", shown.OriginNode);
            Assert.Equal(20.5, shown.Temperature);
            Assert.Equal(new Dictionary<string, long> { ["pi-a"] = 1, ["pi-b"] = 1 }, store.Replication.VersionVector());
        }

        // The superseded copy still travels, so a third member's vector reaches both origins.
        var z = NewStore("z");
        Sync(y, z);
        Assert.Equal(x.Replication.VersionVector(), z.Replication.VersionVector());
        Assert.Equal("pi-a", Assert.Single(z.Queries.Readings(9, 10, null, null)).OriginNode);
    }

    [Fact]
    public void Applying_the_same_pull_twice_changes_nothing()
    {
        var a = NewStore("a");
        var b = NewStore("b");
        a.Writer.Apply([Group("pi-a", 1, (1, 1, 20), (1, 2, 21))], 1);
        var pulled = a.Replication.ReadingsAfter(b.Replication.VersionVector(), 100);
        Assert.Equal(2, b.Writer.Apply(pulled, null));
        Assert.Equal(0, b.Writer.Apply(pulled, null));
        Assert.Equal(2, b.Queries.CountReadings());
    }

    public void Dispose()
    {
        foreach (var store in _stores) store.Dispose();
        _dir.Dispose();
    }
}
