using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Tests.Storage;

/// <summary>
/// Data quality read mostly off the hourly rollups (their count, first and last reading and longest gap) answers exactly
/// what one pass over every raw reading answers: readings in order and out of order, gaps inside hours and across them,
/// a late replay that fills a gap, a reading accepted by two members with two device times, hours whose gap is not
/// known, and raw readings that expired.
/// </summary>
public sealed class QualityTests : IDisposable
{
    private static readonly long Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private const long Minute = 60_000, Day = 86_400_000;
    private readonly TempDir _dir = new();
    private readonly ReadModelStore _store;

    public QualityTests() => _store = new ReadModelStore(_dir.File("quality.db"));

    public void Dispose()
    {
        _store.Dispose();
        _dir.Dispose();
    }

    private static List<ReadingsJournaled> Groups(string origin, IEnumerable<Reading> readings, int size, long firstOriginSeq = 1) =>
        readings.Select((r, i) => new JournaledReading(r, origin, firstOriginSeq + i)).Chunk(size)
            .Select(c => new ReadingsJournaled(origin, c.ToList())).ToList();

    /// <summary>Four days of four boards, one reading a minute, each with its own trouble.</summary>
    private void Load()
    {
        var random = new Random(11);
        long seq = 0;
        Reading At(int device, long t) => new(device, 20 + random.NextDouble(), 50, t, t, ++seq);
        var start = Now - 4 * Day + 17 * Minute + 1234;
        var minutes = Enumerable.Range(0, 4 * 24 * 60 - 30).Select(i => start + i * Minute).ToList();
        // 1: in order, with an outage of 7 minutes inside an hour and one of 3 hours across hours.
        var one = minutes.Where((_, i) => i is not (>= 500 and < 507) and not (>= 2000 and < 2180)).Select(t => At(1, t)).ToList();
        // 2: the same minutes arriving shuffled in groups of 200, with single minutes missing here and there.
        var two = minutes.Where((_, i) => i % 97 != 5).Select(t => At(2, t)).OrderBy(_ => random.Next()).ToList();
        // 3: jittered times (up to 40 s late), and a 2-minute hole; the hole of 2 hours is filled later by a replay.
        var three = minutes.Where((_, i) => i is not (>= 3000 and < 3002)).Select(t => At(3, t + random.Next(0, 40_000))).ToList();
        var late = three.Where(r => r.DeviceTimeMs >= start + 4000 * Minute && r.DeviceTimeMs < start + 4120 * Minute).ToList();
        three = three.Except(late).ToList();
        // 4: every 5 minutes only (gaps against a 1-minute interval everywhere).
        var four = minutes.Where((_, i) => i % 5 == 0).Select(t => At(4, t)).ToList();

        var groups = Groups("pi-a", one.Concat(three).Concat(four), 500);
        groups.AddRange(Groups("pi-b", two, 200));
        _store.Writer.Apply(groups, 1);
        _store.Writer.Apply(Groups("pi-a", late, 50, one.Count + three.Count + four.Count + 1), null);
        // A reading of board 1 accepted by two members, each with its own clock: one copy is shown, the other superseded.
        var twin = one[1000];
        _store.Writer.Apply(Groups("pi-0", [twin with { DeviceTimeMs = twin.DeviceTimeMs + 50 * Minute }], 1), null);
    }

    /// <summary>The reference: every raw reading of the window, one by one, straight from the table.</summary>
    private DeviceQuality Reference(int device, long interval, int days)
    {
        using var c = _store.Database.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT timestamp FROM sensor_readings WHERE device_id = $id AND superseded = 0 AND timestamp >= $since ORDER BY timestamp";
        cmd.Parameters.AddWithValue("$id", device);
        cmd.Parameters.AddWithValue("$since", TimeText.FromUnixMs(Now - days * Day));
        var times = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) times.Add(r.GetString(0));
        var gaps = times.Zip(times.Skip(1), (from, to) => (From: from, To: to, Ms: TimeText.ToUnixMs(to) - TimeText.ToUnixMs(from)))
            .Where(p => p.Ms > interval * 3 / 2)
            .Select(p => new GapView(p.From, p.To, (long)Math.Round((double)p.Ms / interval) - 1))
            .OrderByDescending(g => g.Missing).ThenBy(g => g.Start, StringComparer.Ordinal).Take(5).ToList();
        var expected = times.Count == 0 ? 0 : (TimeText.ToUnixMs(times[^1]) - TimeText.ToUnixMs(times[0])) / interval + 1;
        return new DeviceQuality(device, times.Count, times.FirstOrDefault(), times.LastOrDefault(), times.Select(t => t[..10]).Distinct().Count(),
            Math.Round(expected == 0 ? 0 : Math.Min(1.0, (double)times.Count / expected), 4), gaps);
    }

    private void AssertSameAsEveryReading(int intervalS, int days)
    {
        var devices = new[] { 1, 2, 3, 4 };
        var answered = _store.Analytics.Quality(devices, intervalS, days, Now);
        foreach (var (device, quality) in devices.Zip(answered))
        {
            var expected = Reference(device, intervalS * 1000L, days);
            Assert.Equal(expected with { Gaps = [] }, quality with { Gaps = [] });
            Assert.Equal(expected.Gaps, quality.Gaps);
        }
    }

    [Fact]
    public void Quality_off_the_rollups_is_what_a_pass_over_every_raw_reading_gives()
    {
        Load();
        foreach (var (interval, days) in new[] { (60, 30), (60, 2), (300, 30), (30, 3), (240, 1) }) AssertSameAsEveryReading(interval, days);
        Assert.Contains(_store.Analytics.Quality([1], 60, 30, Now)[0].Gaps, g => g.Missing == 180);

        // Hours whose gap is not known (a file from before layout 4) are read reading by reading: the same answer.
        using (var c = _store.Database.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "UPDATE rollups SET max_gap_ms = NULL WHERE device_id IN (1, 3) AND bucket LIKE '%5'";
            Assert.True(cmd.ExecuteNonQuery() > 0);
        }
        AssertSameAsEveryReading(60, 30);

        // Raw readings older than two days expire: the rollups keep counting them, quality (raw readings) does not.
        foreach (var (origin, highest) in _store.Replication.VersionVector())
            while (_store.Retention.NextChunk(origin, TimeText.FromUnixMs(Now - 2 * Day - 1234567), highest, 3000) is { } next)
                _store.Retention.Expire(next);
        AssertSameAsEveryReading(60, 30);
        AssertSameAsEveryReading(300, 3);
    }

    [Fact]
    public void A_bucket_knows_its_longest_gap_while_readings_arrive_in_order_and_a_bound_when_they_do_not()
    {
        var hour = Now - Now % 3_600_000 - 3 * 3_600_000;
        long seq = 0;
        Reading At(long t) => new(9, 20, 50, t, t, ++seq);
        long? Gap()
        {
            using var c = _store.Database.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT max_gap_ms FROM rollups WHERE device_id = 9 AND bucket = '{TimeText.FromUnixMs(hour)[..13]}'";
            return cmd.ExecuteScalar() is long gap ? gap : null;
        }
        _store.Writer.Apply(Groups("pi-a", [At(hour + 10 * Minute), At(hour + 11 * Minute), At(hour + 15 * Minute)], 3), null);
        Assert.InRange(Gap()!.Value, 4 * Minute, 4 * Minute + 1);
        // A later batch wholly after: the time between the two counts.
        _store.Writer.Apply(Groups("pi-a", [At(hour + 25 * Minute), At(hour + 26 * Minute)], 2, 4), null);
        Assert.InRange(Gap()!.Value, 10 * Minute, 10 * Minute + 1);
        // One wholly before.
        _store.Writer.Apply(Groups("pi-a", [At(hour + 1 * Minute)], 1, 6), null);
        Assert.InRange(Gap()!.Value, 10 * Minute, 10 * Minute + 1);
        // Interleaved: the bound stays (the true longest gap, 9 minutes, is below it).
        _store.Writer.Apply(Groups("pi-a", [At(hour + 20 * Minute)], 1, 7), null);
        Assert.InRange(Gap()!.Value, 10 * Minute, 10 * Minute + 1);
        // A copy accepted twice with another time leaves the bucket: the gap is no longer known.
        _store.Writer.Apply(Groups("pi-0", [new Reading(9, 20, 50, hour + 59 * Minute, hour, 1)], 1), null);
        Assert.Null(Gap());
    }
}
