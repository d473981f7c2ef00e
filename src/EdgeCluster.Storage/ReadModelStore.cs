using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>
/// The node's query tables in SQLite: the lab's <c>devices</c> and <c>sensor_readings</c>, fed from the
/// reading journal. Writes come from one writer at a time (the read-model writer actor); reads open
/// their own pooled connection each, so HTTP queries never wait on an actor.
/// </summary>
public sealed class ReadModelStore : IDisposable
{
    public const string JournalProjection = "reading-journal";

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SqliteCommand _insertReading;
    private readonly SqliteCommand _saveOffset;

    public ReadModelStore(string path, bool synchronousFull = false)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        _writer = Open();
        // The read model can be rebuilt from the journal, so NORMAL is safe here: a write lost
        // to a power cut rolls back with its projection offset and is replayed at start.
        Execute(_writer, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")};");
        Execute(_writer, Schema);

        _insertReading = _writer.CreateCommand();
        _insertReading.CommandText =
            """
            INSERT OR IGNORE INTO sensor_readings
                (device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq, reading_id)
            VALUES ($device, $ts, $received, $t, $h, $seq, $origin, $originSeq, $id)
            """;
        foreach (var name in new[] { "$device", "$ts", "$received", "$t", "$h", "$seq", "$origin", "$originSeq", "$id" })
            _insertReading.Parameters.Add(new SqliteParameter { ParameterName = name });

        _saveOffset = _writer.CreateCommand();
        _saveOffset.CommandText =
            """
            INSERT INTO projection_offsets (projection, offset) VALUES ($p, $o)
            ON CONFLICT(projection) DO UPDATE SET offset = MAX(offset, excluded.offset)
            """;
        _saveOffset.Parameters.Add(new SqliteParameter { ParameterName = "$p" });
        _saveOffset.Parameters.Add(new SqliteParameter { ParameterName = "$o" });
    }

    public string Path { get; }

    /// <summary>How many origin seqs one origin has room for in a reading_id.</summary>
    public const long OriginSeqSpan = 1L << 40;

    private readonly Dictionary<string, long> _originIds = new();

    private long OriginId(string originNode, SqliteTransaction tx)
    {
        if (_originIds.TryGetValue(originNode, out var id)) return id;
        using var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText =
            """
            INSERT INTO origins (origin_node) VALUES ($n) ON CONFLICT(origin_node) DO NOTHING;
            SELECT origin_id FROM origins WHERE origin_node = $n;
            """;
        cmd.Parameters.AddWithValue("$n", originNode);
        id = (long)cmd.ExecuteScalar()!;
        _originIds[originNode] = id;
        return id;
    }

    private const string Schema =
        """
        CREATE TABLE IF NOT EXISTS devices (
            device_id     INTEGER PRIMARY KEY,
            name          TEXT NOT NULL,
            type          TEXT NOT NULL,
            location      TEXT,
            registered_at TEXT NOT NULL);
        -- device_id refers to devices(device_id) as in the lab; not enforced, because a reading
        -- replicated from another member may arrive before that member's registry entry.
        -- reading_id is the reading's origin and origin seq in one integer (origin_id * 2^40 +
        -- origin_seq), so the primary key alone makes applying a reading twice a no-op.
        CREATE TABLE IF NOT EXISTS origins (
            origin_id   INTEGER PRIMARY KEY,
            origin_node TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS sensor_readings (
            reading_id  INTEGER PRIMARY KEY,
            device_id   INTEGER NOT NULL,
            timestamp   TEXT NOT NULL,
            received_at TEXT NOT NULL,
            temperature REAL NOT NULL,
            humidity    REAL NOT NULL,
            seq         INTEGER,
            origin_node TEXT NOT NULL,
            origin_seq  INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_device_timestamp ON sensor_readings(device_id, timestamp);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_device_seq ON sensor_readings(device_id, seq) WHERE seq IS NOT NULL;
        CREATE TABLE IF NOT EXISTS projection_offsets (
            projection TEXT PRIMARY KEY,
            offset     INTEGER NOT NULL);
        """;

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Applies journaled readings and moves the projection offset in one transaction; a reading
    /// already present (same origin, or same device and seq) is left as it is.
    /// </summary>
    public int Apply(IEnumerable<ReadingsJournaled> groups, long journalSequenceNr)
    {
        using var tx = _writer.BeginTransaction();
        _insertReading.Transaction = tx;
        _saveOffset.Transaction = tx;
        var inserted = 0;
        var p = _insertReading.Parameters;
        foreach (var group in groups)
        {
            var originBase = OriginId(group.OriginNode, tx) * OriginSeqSpan;
            foreach (var j in group.Readings)
            {
                var r = j.Reading;
                p[0].Value = r.DeviceId;
                p[1].Value = TimeText.FromUnixMs(r.DeviceTimeMs);
                p[2].Value = TimeText.FromUnixMs(r.ReceivedAtMs);
                p[3].Value = r.Temperature;
                p[4].Value = r.Humidity;
                p[5].Value = r.Seq is { } seq ? seq : DBNull.Value;
                p[6].Value = j.OriginNode;
                p[7].Value = j.OriginSeq;
                p[8].Value = originBase + j.OriginSeq;
                inserted += _insertReading.ExecuteNonQuery();
            }
        }
        _saveOffset.Parameters[0].Value = JournalProjection;
        _saveOffset.Parameters[1].Value = journalSequenceNr;
        _saveOffset.ExecuteNonQuery();
        tx.Commit();
        return inserted;
    }

    public long ProjectionOffset(string projection = JournalProjection)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT offset FROM projection_offsets WHERE projection = $p";
        cmd.Parameters.AddWithValue("$p", projection);
        return cmd.ExecuteScalar() is long offset ? offset : 0;
    }

    /// <summary>Adds or changes a device; true when it was new.</summary>
    public bool UpsertDevice(DeviceInfo device)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        using var exists = c.CreateCommand();
        exists.CommandText = "SELECT 1 FROM devices WHERE device_id = $id";
        exists.Parameters.AddWithValue("$id", device.DeviceId);
        var created = exists.ExecuteScalar() is null;
        using var upsert = c.CreateCommand();
        upsert.CommandText =
            """
            INSERT INTO devices (device_id, name, type, location, registered_at) VALUES ($id, $name, $type, $location, $at)
            ON CONFLICT(device_id) DO UPDATE SET name = excluded.name, type = excluded.type, location = excluded.location
            """;
        upsert.Parameters.AddWithValue("$id", device.DeviceId);
        upsert.Parameters.AddWithValue("$name", device.Name);
        upsert.Parameters.AddWithValue("$type", device.Type);
        upsert.Parameters.AddWithValue("$location", (object?)device.Location ?? DBNull.Value);
        upsert.Parameters.AddWithValue("$at", TimeText.FromUnixMs(device.RegisteredAtMs));
        upsert.ExecuteNonQuery();
        tx.Commit();
        return created;
    }

    public DeviceInfo? GetDevice(int deviceId) => QueryDevices("WHERE device_id = $id", deviceId).FirstOrDefault();

    public IReadOnlyList<DeviceInfo> ListDevices() => QueryDevices("", null);

    private List<DeviceInfo> QueryDevices(string where, int? deviceId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT device_id, name, type, location, registered_at FROM devices {where} ORDER BY device_id";
        if (deviceId is { } id) cmd.Parameters.AddWithValue("$id", id);
        using var reader = cmd.ExecuteReader();
        var devices = new List<DeviceInfo>();
        while (reader.Read())
            devices.Add(new DeviceInfo(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), TimeText.ToUnixMs(reader.GetString(4))));
        return devices;
    }

    /// <summary>What a device actor needs at start: its entry, its highest seq and the seqs near it, its latest reading.</summary>
    public DeviceState LoadDeviceState(int deviceId)
    {
        var info = GetDevice(deviceId);
        using var c = Open();
        long? highest;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT MAX(seq) FROM sensor_readings WHERE device_id = $id AND seq IS NOT NULL";
            cmd.Parameters.AddWithValue("$id", deviceId);
            highest = cmd.ExecuteScalar() is long h ? h : null;
        }
        var recent = new List<long>();
        if (highest is { } top)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT seq FROM sensor_readings WHERE device_id = $id AND seq > $floor";
            cmd.Parameters.AddWithValue("$id", deviceId);
            cmd.Parameters.AddWithValue("$floor", top - DeviceState.SeqWindow);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) recent.Add(reader.GetInt64(0));
        }
        var latest = Readings(deviceId, 1, null, null).FirstOrDefault();
        Reading? latestReading = latest is null ? null : new Reading(latest.DeviceId, latest.Temperature, latest.Humidity,
            TimeText.ToUnixMs(latest.Timestamp), TimeText.ToUnixMs(latest.ReceivedAt), latest.Seq);
        return new DeviceState(deviceId, info, highest, recent, latestReading, seq => SeqStored(deviceId, seq));
    }

    public bool SeqStored(int deviceId, long seq)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM sensor_readings WHERE device_id = $id AND seq = $seq";
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$seq", seq);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Newest first, by device time, within [since, until] when given.</summary>
    public IReadOnlyList<StoredReading> Readings(int deviceId, int limit, long? sinceMs, long? untilMs)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT reading_id, device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq
            FROM sensor_readings
            WHERE device_id = $id AND timestamp >= $since AND timestamp <= $until
            ORDER BY timestamp DESC, reading_id DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$since", sinceMs is { } s ? TimeText.FromUnixMs(s) : "");
        cmd.Parameters.AddWithValue("$until", untilMs is { } u ? TimeText.FromUnixMs(u) : "~");
        cmd.Parameters.AddWithValue("$limit", limit);
        using var reader = cmd.ExecuteReader();
        var rows = new List<StoredReading>();
        while (reader.Read())
            rows.Add(new StoredReading(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
                reader.GetDouble(4), reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.GetString(7), reader.GetInt64(8)));
        return rows;
    }

    /// <summary>The lab's summary and per-bucket rows for one device over the last <paramref name="hours"/> hours.</summary>
    public (StatsSummary Summary, IReadOnlyList<StatsBucket> Buckets) Stats(int deviceId, StatsPeriod period, int hours, long nowMs)
    {
        var since = TimeText.FromUnixMs(nowMs - hours * 3_600_000L);
        // An hour is the first 13 characters of the fixed-width time text, a day the first 10.
        var width = period == StatsPeriod.Hourly ? 13 : 10;
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            $"""
            SELECT substr(timestamp, 1, {width}) AS bucket, COUNT(*), AVG(temperature), MIN(temperature), MAX(temperature),
                   AVG(humidity), MIN(timestamp), MAX(timestamp)
            FROM sensor_readings
            WHERE device_id = $id AND timestamp >= $since
            GROUP BY bucket ORDER BY bucket DESC
            """;
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
                count, Round(reader.GetDouble(2)), Round(reader.GetDouble(3)), Round(reader.GetDouble(4)), Round(reader.GetDouble(5)));
            buckets.Add(bucket);
            total += count;
            sumT += reader.GetDouble(2) * count;
            sumH += reader.GetDouble(5) * count;
            minT = Math.Min(minT, reader.GetDouble(3));
            maxT = Math.Max(maxT, reader.GetDouble(4));
            var bucketFirst = reader.GetString(6);
            var bucketLast = reader.GetString(7);
            if (first is null || string.CompareOrdinal(bucketFirst, first) < 0) first = bucketFirst;
            if (last is null || string.CompareOrdinal(bucketLast, last) > 0) last = bucketLast;
        }
        var summary = total == 0
            ? new StatsSummary(deviceId, 0, null, null, null, null, null, null)
            : new StatsSummary(deviceId, total, first, last, Round(sumT / total), Round(minT), Round(maxT), Round(sumH / total));
        return (summary, buckets);
    }

    private static double Round(double value) => Math.Round(value, 2);

    public long CountReadings()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sensor_readings";
        return (long)cmd.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _insertReading.Dispose();
        _saveOffset.Dispose();
        _writer.Dispose();
    }
}
