namespace EdgeCluster.Storage;

/// <summary>
/// The warm and cold tiers: per device and bucket, the count, sums, minima and maxima of the shown readings, from which
/// every hourly and daily figure the API answers follows exactly (an average is a sum over a count). A bucket is an hour,
/// <c>yyyy-MM-ddTHH</c>, while it is in the warm tier, and a day, <c>yyyy-MM-dd</c>, once its hours were folded into it.
/// <c>rollups</c> holds every reading this member shows; <c>expired_rollups</c> holds, per origin, the part of them whose
/// raw readings this member expired, which is what a member that never saw those readings is sent instead.
/// </summary>
public static class Rollups
{
    /// <summary>The aggregate columns of both rollup tables, as declared.</summary>
    private const string AggregateDdl =
        "count INTEGER NOT NULL, sum_t REAL NOT NULL, min_t REAL, max_t REAL, sum_h REAL NOT NULL, min_h REAL, max_h REAL, first_at TEXT, last_at TEXT";

    public const string Tables =
        $"""
        -- max_gap_ms: at least the longest time between two consecutive readings inside the bucket (exact while they
        -- arrived in time order); NULL when not known (built from sums, folded, received as an expired range, or a copy
        -- left it). Data quality reads raw readings only where it is NULL or long enough to hold a gap.
        CREATE TABLE IF NOT EXISTS rollups (
            device_id INTEGER NOT NULL, bucket TEXT NOT NULL, {AggregateDdl}, max_gap_ms INTEGER,
            PRIMARY KEY (device_id, bucket)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS expired_rollups (
            origin_id INTEGER NOT NULL, device_id INTEGER NOT NULL, bucket TEXT NOT NULL, {AggregateDdl},
            PRIMARY KEY (origin_id, device_id, bucket)) WITHOUT ROWID;
        -- The low-water mark of each origin's stream here: every reading up to expired_through left the raw tier.
        CREATE TABLE IF NOT EXISTS origin_floor (
            origin_node     TEXT PRIMARY KEY,
            expired_through INTEGER NOT NULL);
        -- Which of this member's own readings each journal event holds up to, so that events whose readings all left
        -- the raw tier can be deleted from the journal.
        CREATE TABLE IF NOT EXISTS journal_marks (
            sequence_nr     INTEGER PRIMARY KEY,
            last_origin_seq INTEGER NOT NULL);
        -- Retention's own marks: folded_before (the day before which hours are kept as days).
        CREATE TABLE IF NOT EXISTS retention_marks (
            name  TEXT PRIMARY KEY,
            value TEXT NOT NULL);
        """;

    /// <summary>The aggregate columns, after the key columns, in the order every statement here uses.</summary>
    public const string Columns = "count, sum_t, min_t, max_t, sum_h, min_h, max_h, first_at, last_at";

    /// <summary>Adds a row of aggregates to a bucket; nulls (a subtraction's minima) leave the bucket's minima and maxima as they are.</summary>
    public static string Combine(string keys) =>
        $"""
        ON CONFLICT({keys}) DO UPDATE SET
            count = count + excluded.count, sum_t = sum_t + excluded.sum_t, sum_h = sum_h + excluded.sum_h,
            min_t = MIN(COALESCE(min_t, excluded.min_t), COALESCE(excluded.min_t, min_t)),
            max_t = MAX(COALESCE(max_t, excluded.max_t), COALESCE(excluded.max_t, max_t)),
            min_h = MIN(COALESCE(min_h, excluded.min_h), COALESCE(excluded.min_h, min_h)),
            max_h = MAX(COALESCE(max_h, excluded.max_h), COALESCE(excluded.max_h, max_h)),
            first_at = MIN(COALESCE(first_at, excluded.first_at), COALESCE(excluded.first_at, first_at)),
            last_at = MAX(COALESCE(last_at, excluded.last_at), COALESCE(excluded.last_at, last_at))
        """;

    /// <summary>
    /// <see cref="Combine"/> for <c>rollups</c> when the added rows carry no gap: the bucket's longest gap is no longer known.
    /// </summary>
    public static string CombineRollups => Combine("device_id, bucket") + ",\n    max_gap_ms = NULL";

    /// <summary>Milliseconds from time text <paramref name="from"/> to <paramref name="to"/>, rounded up (julianday is exact to ~0.05 ms).</summary>
    private static string MsBetween(string from, string to) => $"CAST((julianday({to}) - julianday({from})) * 86400000 + 1 AS INTEGER)";

    /// <summary>
    /// The longest gap of a bucket that gains a batch: the larger of the two buckets' own, and the time between them when
    /// one lies wholly before the other (readings that interleave only split gaps, so the bound holds).
    /// </summary>
    public static readonly string CombineGap =
        $"""
        max_gap_ms = CASE WHEN max_gap_ms IS NULL OR excluded.max_gap_ms IS NULL OR first_at IS NULL OR excluded.first_at IS NULL THEN NULL
            ELSE MAX(max_gap_ms, excluded.max_gap_ms,
                CASE WHEN excluded.first_at >= last_at THEN {MsBetween("last_at", "excluded.first_at")}
                     WHEN excluded.last_at <= first_at THEN {MsBetween("excluded.last_at", "first_at")}
                     ELSE 0 END) END
        """;

    /// <summary>The bucket of a reading's time text: its day once hours before <paramref name="foldedBefore"/> are days, else its hour.</summary>
    public static string Bucket(string time, string foldedBefore) =>
        foldedBefore.Length > 0 && string.CompareOrdinal(time, 0, foldedBefore, 0, 10) < 0 ? time[..10] : time[..13];

    /// <summary>The last millisecond of a bucket (an hour or a day) as time text.</summary>
    public static string BucketEnd(string bucket) => bucket.Length == 10 ? bucket + "T23:59:59.999Z" : bucket + ":59:59.999Z";

    /// <summary>The same choice in SQL, over a column of time text and a <c>$folded</c> parameter.</summary>
    public static string BucketSql(string column) =>
        $"CASE WHEN substr({column}, 1, 10) < $folded THEN substr({column}, 1, 10) ELSE substr({column}, 1, 13) END";

    /// <summary>The aggregates of raw readings, grouped by device and bucket, in <see cref="Columns"/> order.</summary>
    public static string AggregateSql(string where) =>
        $"""
        SELECT device_id, {BucketSql("timestamp")} AS b, COUNT(*), SUM(temperature), MIN(temperature), MAX(temperature),
               SUM(humidity), MIN(humidity), MAX(humidity), MIN(timestamp), MAX(timestamp)
        FROM sensor_readings WHERE superseded = 0 AND {where}
        GROUP BY device_id, b
        """;
}

/// <summary>One bucket's aggregates, as a member sends them with an expired range of an origin.</summary>
public sealed record RollupRow(int DeviceId, string Bucket, long Count, double SumT, double? MinT, double? MaxT,
    double SumH, double? MinH, double? MaxH, string? FirstAt, string? LastAt);

/// <summary>
/// An origin's readings up to <paramref name="Through"/> left the sender's raw tier; <paramref name="Rows"/> are their
/// aggregates. A member that holds less of that origin takes these in place of the readings it can no longer get.
/// </summary>
public sealed record ExpiredRange(string OriginNode, long Through, IReadOnlyList<RollupRow> Rows);

/// <summary>Sums of readings by device and bucket within one write transaction, written as one upsert per bucket.</summary>
internal sealed class RollupAccumulator
{
    private sealed class Sums
    {
        public long Count;
        public double SumT, SumH;
        public double? MinT, MaxT, MinH, MaxH;
        public string? First, Last;
        public long FirstMs, LastMs;
        // The batch's longest gap (an upper bound once readings came out of order); null once a copy left the bucket.
        public long? MaxGap = 0;
    }

    private readonly Dictionary<(int Device, string Bucket), Sums> _buckets = new();

    public bool IsEmpty => _buckets.Count == 0;

    public void Clear() => _buckets.Clear();

    public void Add(int device, string bucket, string time, long ms, double temperature, double humidity)
    {
        var s = Get(device, bucket);
        // In order, or before every other: a new gap at an end. Between two others: it only splits a gap.
        var gap = s.First is null ? 0 : ms >= s.LastMs ? ms - s.LastMs : ms < s.FirstMs ? s.FirstMs - ms : 0;
        if (s.MaxGap is { } longest) s.MaxGap = Math.Max(longest, gap);
        if (s.First is null || ms < s.FirstMs) s.FirstMs = ms;
        if (s.First is null || ms > s.LastMs) s.LastMs = ms;
        s.Count++;
        s.SumT += temperature;
        s.SumH += humidity;
        s.MinT = s.MinT is { } a ? Math.Min(a, temperature) : temperature;
        s.MaxT = s.MaxT is { } b ? Math.Max(b, temperature) : temperature;
        s.MinH = s.MinH is { } c ? Math.Min(c, humidity) : humidity;
        s.MaxH = s.MaxH is { } d ? Math.Max(d, humidity) : humidity;
        if (s.First is null || string.CompareOrdinal(time, s.First) < 0) s.First = time;
        if (s.Last is null || string.CompareOrdinal(time, s.Last) > 0) s.Last = time;
    }

    /// <summary>A reading no longer shown: its count and sums leave the bucket (its extremes stay, see docs/retention.md).</summary>
    public void Subtract(int device, string bucket, double temperature, double humidity)
    {
        var s = Get(device, bucket);
        s.MaxGap = null;
        s.Count--;
        s.SumT -= temperature;
        s.SumH -= humidity;
    }

    private Sums Get(int device, string bucket)
    {
        if (!_buckets.TryGetValue((device, bucket), out var s)) _buckets[(device, bucket)] = s = new Sums();
        return s;
    }

    /// <summary>
    /// Writes every bucket through <paramref name="upsert"/> (<see cref="UpsertSql"/>, its <see cref="Parameters"/> at the
    /// positions <paramref name="at"/> gives in their order) and empties itself.
    /// </summary>
    public void Flush(RawStatement upsert, int[] at)
    {
        foreach (var ((device, bucket), s) in _buckets)
        {
            if (s.Count == 0 && s.SumT == 0 && s.SumH == 0 && s.MinT is null) continue;
            upsert.Bind(at[0], device);
            upsert.Bind(at[1], bucket);
            upsert.Bind(at[2], s.Count);
            upsert.Bind(at[3], s.SumT);
            upsert.Bind(at[4], s.MinT);
            upsert.Bind(at[5], s.MaxT);
            upsert.Bind(at[6], s.SumH);
            upsert.Bind(at[7], s.MinH);
            upsert.Bind(at[8], s.MaxH);
            upsert.Bind(at[9], s.First);
            upsert.Bind(at[10], s.Last);
            if (s.First is not null && s.MaxGap is { } gap) upsert.Bind(at[11], gap);
            else upsert.BindNull(at[11]);
            upsert.Execute();
        }
        _buckets.Clear();
    }

    /// <summary>Sets a bucket's <see cref="Parameters"/> on a command.</summary>
    public static void Bind(Microsoft.Data.Sqlite.SqliteParameterCollection p, RollupRow row)
    {
        p["$device"].Value = row.DeviceId;
        p["$bucket"].Value = row.Bucket;
        p["$count"].Value = row.Count;
        p["$sumT"].Value = row.SumT;
        p["$minT"].Value = (object?)row.MinT ?? DBNull.Value;
        p["$maxT"].Value = (object?)row.MaxT ?? DBNull.Value;
        p["$sumH"].Value = row.SumH;
        p["$minH"].Value = (object?)row.MinH ?? DBNull.Value;
        p["$maxH"].Value = (object?)row.MaxH ?? DBNull.Value;
        p["$first"].Value = (object?)row.FirstAt ?? DBNull.Value;
        p["$last"].Value = (object?)row.LastAt ?? DBNull.Value;
    }

    public static readonly string[] Parameters = ["$device", "$bucket", "$count", "$sumT", "$minT", "$maxT", "$sumH", "$minH", "$maxH", "$first", "$last", "$gap"];

    public static string UpsertSql =>
        $"INSERT INTO rollups (device_id, bucket, {Rollups.Columns}, max_gap_ms) VALUES ($device, $bucket, $count, $sumT, $minT, $maxT, $sumH, $minH, $maxH, $first, $last, $gap) "
        + Rollups.Combine("device_id, bucket") + ",\n" + Rollups.CombineGap;
}
