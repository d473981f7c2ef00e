using EdgeCluster.Contracts;
using EdgeCluster.Domain.Analytics;

namespace EdgeCluster.Storage;

/// <summary>The lab's analytics on the read model: hour-of-day pattern, z-score anomalies, data quality, chart series.</summary>
public sealed class AnalyticsQueries(ReadModelDatabase db)
{
    // From the hourly rollups (the warm tier: hours folded into days no longer have an hour of day).
    private const string HourOfDaySql =
        """
        SELECT CAST(substr(bucket, 12, 2) AS INTEGER) AS hour, SUM(count), SUM(sum_t) / SUM(count), MIN(min_t), MAX(max_t), SUM(sum_h) / SUM(count)
        FROM rollups
        WHERE device_id = $id AND bucket >= $since AND length(bucket) = 13
        GROUP BY hour HAVING SUM(count) > 0
        """;

    // Per device through the (device_id, timestamp) index: MIN over the whole table would read every row.
    private const string OldestRawSql =
        "SELECT MIN((SELECT MIN(s.timestamp) FROM sensor_readings s WHERE s.device_id = d.device_id)) FROM reading_devices d";

    private const string DeviceOldestRawSql = "SELECT MIN(timestamp) FROM sensor_readings WHERE device_id = $id";

    private static string AnomalyStatsSql(string field) =>
        $"""
        SELECT COUNT(*), AVG({field}), AVG({field} * {field}) FROM sensor_readings
        WHERE device_id = $id AND timestamp >= $since AND timestamp <= $until AND superseded = 0
        """;

    private static string AnomaliesSql(string field) =>
        $"""
        SELECT reading_id, timestamp, seq, {field} FROM sensor_readings
        WHERE device_id = $id AND timestamp >= $since AND timestamp <= $until AND superseded = 0
          AND ABS({field} - $mean) > $bound
        ORDER BY ABS({field} - $mean) DESC LIMIT $limit
        """;

    private const string QualitySql =
        "SELECT timestamp FROM sensor_readings WHERE device_id = $id AND timestamp >= $since AND timestamp < $until AND superseded = 0 ORDER BY timestamp";

    // The hours from which quality is read off the rollups; an hour whose longest gap is unknown or long enough is read raw.
    private const string QualityHoursSql =
        """
        SELECT bucket, count, first_at, last_at, max_gap_ms FROM rollups
        WHERE device_id = $id AND bucket >= $since AND length(bucket) = 13 AND count > 0 ORDER BY bucket
        """;

    private static string SeriesSql(string field) =>
        $"""
        SELECT timestamp, {field} FROM sensor_readings
        WHERE device_id = $id AND timestamp >= $from AND timestamp <= $to AND superseded = 0
        ORDER BY timestamp, origin_node, origin_seq
        """;

    /// <summary>Every statement the API runs here, by name, for a check of their query plans.</summary>
    public static IReadOnlyDictionary<string, string> Statements => new Dictionary<string, string>
    {
        ["hour-of-day"] = HourOfDaySql,
        ["oldest-raw"] = OldestRawSql,
        ["device-oldest-raw"] = DeviceOldestRawSql,
        ["anomaly-stats"] = AnomalyStatsSql("temperature"),
        ["anomalies"] = AnomaliesSql("humidity"),
        ["quality"] = QualitySql,
        ["quality-hours"] = QualityHoursSql,
        ["series"] = SeriesSql("temperature"),
    };

    /// <summary>Columns a query may aggregate: the lab's two measurements.</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string> { "temperature", "humidity" };

    /// <summary>24 buckets, hour 0-23 of the UTC day, over the last <paramref name="days"/> days (the lab's Query 3).</summary>
    public IReadOnlyList<HourOfDayBucket> HourOfDay(int deviceId, int days, long nowMs)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = HourOfDaySql;
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$since", TimeText.FromUnixMs(nowMs - days * 86_400_000L)[..13]);
        var byHour = new Dictionary<int, HourOfDayBucket>();
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                byHour[r.GetInt32(0)] = new HourOfDayBucket(r.GetInt32(0), r.GetInt64(1), Round(r.GetDouble(2)), Round(r.GetDouble(3)),
                    Round(r.GetDouble(4)), Round(r.GetDouble(5)));
        return Enumerable.Range(0, 24).Select(h => byHour.GetValueOrDefault(h) ?? new HourOfDayBucket(h, 0, null, null, null, null)).ToList();
    }

    /// <summary>
    /// The oldest raw reading the read model holds, of one device or of all (what a window over raw readings can reach
    /// back to), or null when it holds none.
    /// </summary>
    public string? OldestRaw(int? deviceId = null)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = deviceId is null ? OldestRawSql : DeviceOldestRawSql;
        if (deviceId is { } id) cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>
    /// Readings whose |z| against their own device's mean and (population) standard deviation over the window exceeds
    /// <paramref name="z"/>, ordered by |z| descending (the lab's Query 4). Each device is measured against itself.
    /// </summary>
    public IReadOnlyList<AnomalyView> Anomalies(IReadOnlyList<int> devices, string field, double z, long? sinceMs, long? untilMs, int limit)
    {
        if (!Fields.Contains(field)) throw new ArgumentOutOfRangeException(nameof(field), field, "temperature or humidity");
        var since = sinceMs is { } s ? TimeText.FromUnixMs(s) : "";
        var until = untilMs is { } u ? TimeText.FromUnixMs(u) : "~";
        var found = new List<AnomalyView>();
        using var c = db.Open();
        using var stats = c.CreateCommand();
        stats.CommandText = AnomalyStatsSql(field);
        using var outliers = c.CreateCommand();
        outliers.CommandText = AnomaliesSql(field);
        foreach (var command in new[] { stats, outliers })
        {
            command.Parameters.AddWithValue("$since", since);
            command.Parameters.AddWithValue("$until", until);
        }
        var id = stats.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        var outlierId = outliers.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        var mean = outliers.Parameters.Add("$mean", Microsoft.Data.Sqlite.SqliteType.Real);
        var bound = outliers.Parameters.Add("$bound", Microsoft.Data.Sqlite.SqliteType.Real);
        outliers.Parameters.AddWithValue("$limit", limit);
        foreach (var device in devices)
        {
            id.Value = device;
            double average, deviation;
            using (var r = stats.ExecuteReader())
            {
                if (!r.Read() || r.GetInt64(0) < 2) continue;
                average = r.GetDouble(1);
                deviation = Math.Sqrt(Math.Max(0, r.GetDouble(2) - average * average));
            }
            if (deviation == 0) continue;
            outlierId.Value = device;
            mean.Value = average;
            bound.Value = z * deviation;
            using var rows = outliers.ExecuteReader();
            while (rows.Read())
            {
                var value = rows.GetDouble(3);
                found.Add(new AnomalyView(rows.GetInt64(0), device, rows.GetString(1), rows.IsDBNull(2) ? null : rows.GetInt64(2), field, value,
                    Round((value - average) / deviation), Round(average), Round(deviation)));
            }
        }
        return found.OrderByDescending(a => Math.Abs(a.ZScore)).ThenBy(a => a.DeviceId).ThenBy(a => a.ReadingId).Take(limit).ToList();
    }

    /// <summary>
    /// Per device over the last <paramref name="days"/> days: totals, days active, completeness (readings present of those
    /// expected every <paramref name="intervalS"/> seconds between its first and last reading; 1.0 = none missing) and
    /// its longest gaps (more than 1.5 intervals between two readings). Whole hours after the last expiry and fold are
    /// read off the hourly rollups (count, first and last reading, longest gap); only hours that may hold a gap, and
    /// the window's edge, are read reading by reading. The answer is the same as a pass over every raw reading.
    /// </summary>
    public IReadOnlyList<DeviceQuality> Quality(IReadOnlyList<int> devices, int intervalS, int days, long nowMs, int maxGaps = 5)
    {
        var since = TimeText.FromUnixMs(nowMs - days * 86_400_000L);
        string hoursFrom;
        using (var c = db.Open()) hoursFrom = FirstWholeHour(c, since);
        var result = new DeviceQuality[devices.Count];
        // Devices side by side on the cores (each with its own connection).
        Parallel.For(0, devices.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => db.Open(),
            (i, _, connection) =>
            {
                result[i] = DeviceQualityOf(connection, devices[i], since, hoursFrom, intervalS * 1000L, maxGaps);
                return connection;
            },
            connection => connection.Dispose());
        return result;
    }

    /// <summary>
    /// The first hour (yyyy-MM-ddTHH) that lies wholly inside the window, after every raw reading that expired here and
    /// after the folded days: from it on, the hourly rollups count exactly the raw readings.
    /// </summary>
    private static string FirstWholeHour(Microsoft.Data.Sqlite.SqliteConnection c, string since)
    {
        var from = NextHour(since, inclusive: true);
        if (RetentionStore.ReadMark(c, RetentionStore.RawExpiredMark) is { } expired) from = Later(from, NextHour(expired, inclusive: false));
        if (RetentionStore.ReadMark(c, RetentionStore.FoldedBeforeMark) is { Length: 10 } folded) from = Later(from, folded + "T00");
        return from;

        static string Later(string a, string b) => string.CompareOrdinal(a, b) >= 0 ? a : b;
    }

    /// <summary>The hour after the time text's own, or its own when the time is its very start and <paramref name="inclusive"/>.</summary>
    private static string NextHour(string time, bool inclusive)
    {
        var ms = TimeText.ToUnixMs(time);
        var hourStart = ms - ms % 3_600_000;
        return TimeText.FromUnixMs(inclusive && hourStart == ms ? ms : hourStart + 3_600_000)[..13];
    }

    private static DeviceQuality DeviceQualityOf(Microsoft.Data.Sqlite.SqliteConnection c, int device, string since, string hoursFrom,
        long interval, int maxGaps)
    {
        var pass = new QualityPass(interval);
        using var raw = c.CreateCommand();
        raw.CommandText = QualitySql;
        raw.Parameters.AddWithValue("$id", device);
        var rawSince = raw.Parameters.Add("$since", Microsoft.Data.Sqlite.SqliteType.Text);
        var rawUntil = raw.Parameters.Add("$until", Microsoft.Data.Sqlite.SqliteType.Text);
        void ReadRaw(string from, string until)
        {
            rawSince.Value = from;
            rawUntil.Value = until;
            using var r = raw.ExecuteReader();
            while (r.Read()) pass.Reading(r.GetString(0));
        }

        // The window's edge, and whatever lies before the hours the rollups count exactly: reading by reading.
        ReadRaw(since, hoursFrom);
        using var hours = c.CreateCommand();
        hours.CommandText = QualityHoursSql;
        hours.Parameters.AddWithValue("$id", device);
        hours.Parameters.AddWithValue("$since", hoursFrom);
        var suspect = new List<string>();
        var rows = new List<(string Bucket, long Count, string First, string Last, long? MaxGap)>();
        using (var r = hours.ExecuteReader())
            while (r.Read())
                rows.Add((r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4)));
        foreach (var (bucket, count, first, last, maxGap) in rows)
        {
            // A gap may hide inside (or the bucket's figures are not known exactly): its readings, one by one.
            if (maxGap is not { } gap || gap > interval * 3 / 2) ReadRaw(bucket, bucket + ";");
            else pass.Hour(count, first, last);
        }
        return pass.Result(device, maxGaps);
    }

    /// <summary>Readings and gap-free hours in time order, folded into a device's quality.</summary>
    private sealed class QualityPass(long interval)
    {
        private long _total, _firstMs, _previousMs;
        private string? _first, _previous;
        private int _daysActive;
        private readonly List<GapView> _gaps = new();

        public void Reading(string text) => Span(1, text, text);

        /// <summary>An hour with <paramref name="count"/> readings from first to last, and no gap between them.</summary>
        public void Hour(long count, string first, string last) => Span(count, first, last);

        private void Span(long count, string first, string last)
        {
            var firstMs = TimeText.ToUnixMs(first);
            if (_total == 0) (_first, _firstMs) = (first, firstMs);
            else if (firstMs - _previousMs > interval * 3 / 2)
                _gaps.Add(new GapView(_previous!, first, (long)Math.Round((double)(firstMs - _previousMs) / interval) - 1));
            // In time order: a new day is a day that differs from the previous reading's (an hour lies within one day).
            if (_previous is null || string.CompareOrdinal(_previous, 0, first, 0, 10) != 0) _daysActive++;
            _total += count;
            (_previous, _previousMs) = (last, ReferenceEquals(first, last) ? firstMs : TimeText.ToUnixMs(last));
        }

        public DeviceQuality Result(int device, int maxGaps)
        {
            var expected = _total == 0 ? 0 : (_previousMs - _firstMs) / interval + 1;
            var completeness = expected == 0 ? 0 : Math.Min(1.0, (double)_total / expected);
            return new DeviceQuality(device, _total, _first, _previous, _daysActive, Math.Round(completeness, 4),
                _gaps.OrderByDescending(g => g.Missing).ThenBy(g => g.Start, StringComparer.Ordinal).Take(maxGaps).ToList());
        }
    }

    /// <summary>A device's values of one field in time order within [from, to].</summary>
    public IReadOnlyList<SeriesPoint> Series(int deviceId, string field, long? fromMs, long? toMs)
    {
        if (!Fields.Contains(field)) throw new ArgumentOutOfRangeException(nameof(field), field, "temperature or humidity");
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = SeriesSql(field);
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$from", fromMs is { } f ? TimeText.FromUnixMs(f) : "");
        cmd.Parameters.AddWithValue("$to", toMs is { } t ? TimeText.FromUnixMs(t) : "~");
        var points = new List<SeriesPoint>();
        using var r = cmd.ExecuteReader();
        long lastMs = long.MinValue;
        while (r.Read())
        {
            // LTTB needs strictly increasing time: readings stamped in the same millisecond keep the first.
            var ms = TimeText.ToUnixMs(r.GetString(0));
            if (ms == lastMs) continue;
            points.Add(new SeriesPoint(ms, r.GetDouble(1)));
            lastMs = ms;
        }
        return points;
    }

    /// <summary>Every device with readings here.</summary>
    public IReadOnlyList<int> DevicesWithReadings()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT device_id FROM reading_devices ORDER BY device_id";
        using var r = cmd.ExecuteReader();
        var devices = new List<int>();
        while (r.Read()) devices.Add(r.GetInt32(0));
        return devices;
    }

    private static double Round(double value) => Math.Round(value, 2);
}
