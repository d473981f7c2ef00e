using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Tests.Storage;

/// <summary>
/// Tiered retention on real SQLite files: rollups maintained as readings land answer what the raw readings answered,
/// before and after the raw readings expire; expiry moves each origin's floor, never its vector entry; a member that
/// lacks an expired range takes the range's rollups and ends with the same figures as the members that expired it.
/// </summary>
public sealed class RetentionStoreTests : IDisposable
{
    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private const long Hour = 3_600_000, Day = 86_400_000;
    private readonly TempDir _dir = new();
    private readonly List<ReadModelStore> _stores = new();

    public void Dispose()
    {
        foreach (var store in _stores) store.Dispose();
        _dir.Dispose();
    }

    private ReadModelStore NewStore(string name)
    {
        var store = new ReadModelStore(_dir.File(name + ".db"));
        _stores.Add(store);
        return store;
    }

    /// <summary>
    /// Ten days of readings of three devices from two origins, posted in time order, plus a board's late replay of an old
    /// hour and a (device, seq) accepted by both origins: each origin's stream in groups of 500.
    /// </summary>
    private static List<ReadingsJournaled> TenDays()
    {
        var random = new Random(7);
        var byOrigin = new Dictionary<string, List<Reading>> { ["pi-a"] = [], ["pi-b"] = [] };
        long seq = 0;
        for (var t = Now - 10 * Day; t < Now; t += 5 * 60_000)
            for (var device = 1; device <= 3; device++)
                byOrigin[device == 2 ? "pi-b" : "pi-a"].Add(new Reading(device, 15 + 10 * random.NextDouble(), 30 + 40 * random.NextDouble(), t, t, ++seq));
        // Replayed a day late: arrival now, device time 8 days ago.
        for (var i = 0; i < 12; i++)
            byOrigin["pi-b"].Add(new Reading(3, 40 + i, 90, Now - 8 * Day + i * 60_000, Now, ++seq));
        // Accepted by both members: the same reading twice, shown once.
        var twice = new Reading(1, 21.5, 50, Now - 9 * Day + 1000, Now - 9 * Day + 1000, ++seq);
        byOrigin["pi-a"].Add(twice);
        byOrigin["pi-b"].Add(twice);
        return byOrigin.SelectMany(o => o.Value.Select((r, i) => new JournaledReading(r, o.Key, i + 1))
                .Chunk(500).Select(c => new ReadingsJournaled(o.Key, c.ToList())))
            .ToList();
    }

    private static (StatsSummary, IReadOnlyList<StatsBucket>)[] Figures(ReadModelStore store, StatsPeriod period, int hours) =>
        Enumerable.Range(1, 3).Select(device => store.Queries.Stats(device, period, hours, Now)).ToArray();

    private static void AssertSameFigures((StatsSummary S, IReadOnlyList<StatsBucket> B)[] expected, (StatsSummary S, IReadOnlyList<StatsBucket> B)[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].S, actual[i].S);
            Assert.Equal(expected[i].B, actual[i].B);
        }
    }

    /// <summary>Raw readings older than a day leave the store the way the retention service has them leave.</summary>
    private static long ExpireOlderThan(ReadModelStore store, long cutoffMs, int chunk = 1000)
    {
        long expired = 0;
        foreach (var (origin, highest) in store.Replication.VersionVector())
            while (store.Retention.NextChunk(origin, TimeText.FromUnixMs(cutoffMs), highest, chunk) is { } next)
                expired += store.Retention.Expire(next);
        return expired;
    }

    private static void Pull(ReadModelStore from, ReadModelStore to, int batch = 2000)
    {
        while (true)
        {
            var (_, expired, groups) = from.Replication.Serve(to.Replication.VersionVector(), batch);
            foreach (var range in expired) to.ExpiredRanges.Take(range);
            if (groups.Count == 0) return;
            to.Writer.Apply(groups, null);
        }
    }

    [Fact]
    public void Rollups_kept_as_readings_land_answer_what_the_raw_readings_answer()
    {
        var store = NewStore("a");
        store.Writer.Apply(TenDays(), 1);
        using var c = store.Database.Open();
        using var cmd = c.CreateCommand();
        // The lab's own daily query on the raw readings, straight from the table.
        cmd.CommandText =
            """
            SELECT DATE(timestamp), COUNT(*), ROUND(AVG(temperature), 2), ROUND(MIN(temperature), 2), ROUND(MAX(temperature), 2), ROUND(AVG(humidity), 2)
            FROM sensor_readings WHERE device_id = 3 AND superseded = 0 GROUP BY DATE(timestamp) ORDER BY 1 DESC
            """;
        var raw = new List<(string, long, double, double, double, double)>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) raw.Add((r.GetString(0), r.GetInt64(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5)));
        var (_, buckets) = store.Queries.Stats(3, StatsPeriod.Daily, 11 * 24, Now);
        Assert.Equal(raw, buckets.Select(b => (b.Bucket, b.Count, b.AvgTemperature, b.MinTemperature, b.MaxTemperature, b.AvgHumidity)));
        // The reading both members accepted counts once.
        var nineDaysAgo = TimeText.FromUnixMs(Now - 9 * Day)[..10];
        cmd.CommandText = $"SELECT COUNT(*) FROM sensor_readings WHERE device_id = 1 AND superseded = 0 AND DATE(timestamp) = '{nineDaysAgo}'";
        Assert.Equal((long)cmd.ExecuteScalar()!, store.Queries.Stats(1, StatsPeriod.Daily, 11 * 24, Now).Buckets.Single(b => b.Bucket == nineDaysAgo).Count);
    }

    [Fact]
    public void Expiry_keeps_every_figure_moves_floors_as_prefixes_and_leaves_the_vector_exact()
    {
        var store = NewStore("a");
        store.Writer.Apply(TenDays(), 1);
        var daily = Figures(store, StatsPeriod.Daily, 11 * 24);
        var hourly = Figures(store, StatsPeriod.Hourly, 6 * 24);
        var vector = store.Replication.VersionVector();

        var expired = ExpireOlderThan(store, Now - Day);
        store.Retention.Fold(TimeText.FromUnixMs(Now - 3 * Day)[..10]);

        Assert.True(expired > 5000, $"{expired} expired");
        Assert.Equal(vector, store.Replication.VersionVector());
        AssertSameFigures(daily, Figures(store, StatsPeriod.Daily, 11 * 24));
        // Hours folded into days are no longer hours; the hours still kept answer as before.
        var keptHourly = Figures(store, StatsPeriod.Hourly, 6 * 24);
        for (var d = 0; d < 3; d++)
        {
            var original = hourly[d].Item2.ToDictionary(x => x.Bucket);
            Assert.InRange(keptHourly[d].Item2.Count, 48, original.Count - 24);
            Assert.All(keptHourly[d].Item2, x => Assert.Equal(original[x.Bucket], x));
        }
        // The one old reading of device 1 still raw came after young ones in its origin's stream (the copy both accepted).
        var old = Assert.Single(store.Queries.Readings(1, 100_000, null, null), r => TimeText.ToUnixMs(r.Timestamp) < Now - Day - 5 * 60_000);
        Assert.Equal(Now - 9 * Day + 1000, TimeText.ToUnixMs(old.Timestamp));
        // pi-b's stream stops at the replay that arrived now: nothing after it, even an old reading, has left.
        var floors = store.Retention.Floors();
        Assert.True(floors["pi-a"] > 0 && floors["pi-b"] > 0);
        using var c = store.Database.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sensor_readings WHERE origin_node = 'pi-b' AND origin_seq <= $floor";
        cmd.Parameters.AddWithValue("$floor", floors["pi-b"]);
        Assert.Equal(0L, cmd.ExecuteScalar());
        cmd.CommandText = "SELECT MIN(origin_seq) FROM sensor_readings WHERE origin_node = 'pi-b'";
        Assert.Equal(floors["pi-b"] + 1, (long)cmd.ExecuteScalar()!);
    }

    [Fact]
    public void A_member_that_never_held_an_expired_range_takes_its_rollups_and_answers_the_same()
    {
        var first = NewStore("first");
        first.Writer.Apply(TenDays(), 1);
        ExpireOlderThan(first, Now - Day);

        var late = NewStore("late");
        Pull(first, late);

        Assert.Equal(first.Replication.VersionVector(), late.Replication.VersionVector());
        Assert.Equal(first.Retention.Floors(), late.Retention.Floors());
        AssertSameFigures(Figures(first, StatsPeriod.Daily, 11 * 24), Figures(late, StatsPeriod.Daily, 11 * 24));
        AssertSameFigures(Figures(first, StatsPeriod.Hourly, 11 * 24), Figures(late, StatsPeriod.Hourly, 11 * 24));
        Assert.Equal(first.Queries.CountReadings(), late.Queries.CountReadings());
        // Pulling again changes nothing.
        Pull(first, late);
        AssertSameFigures(Figures(first, StatsPeriod.Daily, 11 * 24), Figures(late, StatsPeriod.Daily, 11 * 24));
    }

    [Fact]
    public void A_member_that_held_part_of_an_expired_range_swaps_its_part_for_the_range_and_counts_nothing_twice()
    {
        var first = NewStore("first");
        var groups = TenDays();
        first.Writer.Apply(groups, 1);
        var away = NewStore("away");
        // It held the first third of each stream, then was away while the others expired theirs and folded old hours.
        away.Writer.Apply(groups.GroupBy(g => g.OriginNode).SelectMany(o => o.Take(o.Count() / 3)), null);
        ExpireOlderThan(first, Now - Day);
        first.Retention.Fold(TimeText.FromUnixMs(Now - 3 * Day)[..10]);

        Pull(first, away);

        Assert.Equal(first.Replication.VersionVector(), away.Replication.VersionVector());
        AssertSameFigures(Figures(first, StatsPeriod.Daily, 11 * 24), Figures(away, StatsPeriod.Daily, 11 * 24));
        Assert.Equal(first.Queries.CountReadings(), away.Queries.CountReadings());
    }

    [Fact]
    public void Rollups_past_the_cold_tier_are_dropped_and_late_readings_for_a_folded_day_land_in_that_day()
    {
        var store = NewStore("a");
        store.Writer.Apply(TenDays(), 1);
        ExpireOlderThan(store, Now - Day);
        store.Retention.Fold(TimeText.FromUnixMs(Now - 3 * Day)[..10]);
        var fiveDaysAgo = TimeText.FromUnixMs(Now - 5 * Day);
        var before = store.Queries.Stats(2, StatsPeriod.Daily, 11 * 24, Now).Buckets.Single(b => b.Bucket == fiveDaysAgo[..10]);

        store.Writer.Apply([new ReadingsJournaled("pi-c", [new JournaledReading(new Reading(2, 99, 50, Now - 5 * Day, Now, 1), "pi-c", 1)])], null);
        var after = store.Queries.Stats(2, StatsPeriod.Daily, 11 * 24, Now).Buckets.Single(b => b.Bucket == fiveDaysAgo[..10]);
        Assert.Equal(before.Count + 1, after.Count);
        Assert.Equal(99, after.MaxTemperature);
        Assert.DoesNotContain(store.Queries.Stats(2, StatsPeriod.Hourly, 11 * 24, Now).Buckets, b => b.Bucket.StartsWith(fiveDaysAgo[..10]));

        var dropped = store.Retention.DropBefore(TimeText.FromUnixMs(Now - 4 * Day)[..10]);
        Assert.True(dropped > 0);
        Assert.All(store.Queries.Stats(2, StatsPeriod.Daily, 11 * 24, Now).Buckets,
            b => Assert.True(string.CompareOrdinal(b.Bucket, TimeText.FromUnixMs(Now - 4 * Day)[..10]) >= 0));
    }
}
