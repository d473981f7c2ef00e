using Microsoft.Data.Sqlite;
using EdgeCluster.Contracts;

namespace EdgeCluster.Storage;

/// <summary>The lab's queries on the read model: a device's readings, the latest of every device, the rollups.</summary>
public sealed class ReadingQueries(ReadModelDatabase db)
{
    private const string ReadingsSql =
        $"""
        SELECT {ReadModelSchema.ReadingColumns}
        FROM sensor_readings
        WHERE device_id = $id AND timestamp >= $since AND timestamp <= $until AND superseded = 0
        ORDER BY timestamp DESC, origin_node, origin_seq LIMIT $limit
        """;

    private const string LatestSql =
        """
        SELECT r.reading_id, r.device_id, r.timestamp, r.received_at, r.temperature, r.humidity, r.seq, r.origin_node, r.origin_seq
        FROM reading_devices d
        JOIN sensor_readings r ON r.reading_id = (
            SELECT s.reading_id FROM sensor_readings s
            WHERE s.device_id = d.device_id AND s.superseded = 0
            ORDER BY s.timestamp DESC, s.origin_node, s.origin_seq LIMIT 1)
        ORDER BY d.device_id
        """;

    // From the rollups (the warm and cold tiers): an hour bucket is yyyy-MM-ddTHH, a day yyyy-MM-dd, and a day's hours and
    // its folded day row sum into the day. A window takes every bucket that overlaps it.
    private const string HourlySql =
        """
        SELECT bucket, count, sum_t, min_t, max_t, sum_h, first_at, last_at
        FROM rollups
        WHERE device_id = $id AND bucket >= $since AND length(bucket) = 13 AND count > 0
        ORDER BY bucket DESC
        """;

    private const string DailySql =
        """
        SELECT substr(bucket, 1, 10) AS day, SUM(count), SUM(sum_t), MIN(min_t), MAX(max_t), SUM(sum_h), MIN(first_at), MAX(last_at)
        FROM rollups
        WHERE device_id = $id AND bucket >= $since
        GROUP BY day HAVING SUM(count) > 0 ORDER BY day DESC
        """;

    /// <summary>Every statement the API runs here, by name, for a check of their query plans.</summary>
    public static IReadOnlyDictionary<string, string> Statements => new Dictionary<string, string>
    {
        ["readings"] = ReadingsSql,
        ["latest"] = LatestSql,
        ["stats-hourly"] = HourlySql,
        ["stats-daily"] = DailySql,
    };

    /// <summary>Newest first, by device time (ties by origin, the same on every member), within [since, until] when given.</summary>
    public IReadOnlyList<ReadingView> Readings(int deviceId, int limit, long? sinceMs, long? untilMs) =>
        StreamReadings(deviceId, limit, sinceMs, untilMs).ToList();

    /// <summary>
    /// The latest reading of every device with readings, by device time; ties go to the smaller
    /// (origin, origin seq), so members holding the same readings answer the same.
    /// </summary>
    public IReadOnlyList<ReadingView> Latest()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = LatestSql;
        return ReadAll(cmd);
    }

    /// <summary>
    /// The lab's summary and per-bucket rows for one device over the last <paramref name="hours"/> hours (every hour or
    /// day that overlaps them), from the rollups: the same figures the raw readings gave before they expired.
    /// </summary>
    public (StatsSummary Summary, IReadOnlyList<StatsBucket> Buckets) Stats(int deviceId, StatsPeriod period, int hours, long nowMs)
    {
        var width = period == StatsPeriod.Hourly ? 13 : 10;
        var since = TimeText.FromUnixMs(nowMs - hours * 3_600_000L)[..width];
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = period == StatsPeriod.Hourly ? HourlySql : DailySql;
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$since", since);
        using var reader = cmd.ExecuteReader();
        var buckets = new List<StatsBucket>();
        long total = 0;
        double sumT = 0, sumH = 0, minT = double.MaxValue, maxT = double.MinValue;
        string? first = null, last = null;
        while (reader.Read())
        {
            var count = reader.GetInt64(1);
            var bucket = new StatsBucket(
                period == StatsPeriod.Hourly ? reader.GetString(0) + ":00:00Z" : reader.GetString(0),
                count, Round(reader.GetDouble(2) / count), Round(reader.GetDouble(3)), Round(reader.GetDouble(4)), Round(reader.GetDouble(5) / count));
            buckets.Add(bucket);
            total += count;
            sumT += reader.GetDouble(2);
            sumH += reader.GetDouble(5);
            minT = Math.Min(minT, reader.GetDouble(3));
            maxT = Math.Max(maxT, reader.GetDouble(4));
            var bucketFirst = reader.GetString(6);
            var bucketLast = reader.GetString(7);
            if (first is null || string.CompareOrdinal(bucketFirst, first) < 0) first = bucketFirst;
            if (last is null || string.CompareOrdinal(bucketLast, last) > 0) last = bucketLast;
        }
        // A day's change against the day before it (the lab's LAG over the rows, oldest first).
        if (period == StatsPeriod.Daily)
            for (var i = 0; i < buckets.Count - 1; i++)
                buckets[i] = buckets[i] with { TemperatureChange = Round(buckets[i].AvgTemperature - buckets[i + 1].AvgTemperature) };
        var summary = total == 0
            ? new StatsSummary(deviceId, 0, null, null, null, null, null, null)
            : new StatsSummary(deviceId, total, first, last, Round(sumT / total), Round(minT), Round(maxT), Round(sumH / total));
        return (summary, buckets);
    }

    /// <summary>
    /// The rows <see cref="Readings"/> answers, read one at a time as the caller enumerates them (for CSV downloads of any
    /// size); the connection stays open until the enumeration ends.
    /// </summary>
    public IEnumerable<ReadingView> StreamReadings(int deviceId, int limit, long? sinceMs, long? untilMs)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = ReadingsSql;
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$since", sinceMs is { } s ? TimeText.FromUnixMs(s) : "");
        cmd.Parameters.AddWithValue("$until", untilMs is { } u ? TimeText.FromUnixMs(u) : "~");
        cmd.Parameters.AddWithValue("$limit", limit);
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) yield return ReadModelSchema.ReadRow(reader);
    }

    public long CountReadings()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sensor_readings WHERE superseded = 0";
        return (long)cmd.ExecuteScalar()!;
    }

    private static double Round(double value) => Math.Round(value, 2);

    private static List<ReadingView> ReadAll(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var rows = new List<ReadingView>();
        while (reader.Read()) rows.Add(ReadModelSchema.ReadRow(reader));
        return rows;
    }
}
