using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>The read model file was written by another layout of EdgeCluster.</summary>
public sealed class StoreVersionException(string message) : Exception(message);

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

        _synchronousFull = synchronousFull;
        _writer = Open();
        // The read model can be rebuilt from the journal, so NORMAL is safe here: a write lost
        // to a power cut rolls back with its projection offset and is replayed at start.
        Execute(_writer, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")};");
        CheckSchemaVersion();
        Execute(_writer, Schema);
        Execute(_writer, $"PRAGMA user_version = {SchemaVersion}");

        _insertReading = Prepare(
            """
            INSERT OR IGNORE INTO sensor_readings
                (device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq, reading_id, superseded)
            VALUES ($device, $ts, $received, $t, $h, $seq, $origin, $originSeq, $id, $superseded)
            """, "$device", "$ts", "$received", "$t", "$h", "$seq", "$origin", "$originSeq", "$id", "$superseded");
        _saveOffset = Prepare(
            """
            INSERT INTO projection_offsets (projection, offset) VALUES ($p, $o)
            ON CONFLICT(projection) DO UPDATE SET offset = MAX(offset, excluded.offset)
            """, "$p", "$o");
        _saveProgress = Prepare(
            """
            INSERT INTO origin_progress (origin_node, highest_seq) VALUES ($n, $s)
            ON CONFLICT(origin_node) DO UPDATE SET highest_seq = MAX(highest_seq, excluded.highest_seq)
            """, "$n", "$s");
        _findCopy = Prepare(
            """
            SELECT reading_id, origin_node, origin_seq FROM sensor_readings
            WHERE (reading_id = $id) OR (device_id = $device AND seq = $seq AND superseded = 0)
            ORDER BY reading_id = $id DESC LIMIT 1
            """, "$id", "$device", "$seq");
        _supersede = Prepare("UPDATE sensor_readings SET superseded = 1 WHERE reading_id = $id", "$id");
        _noteDevice = Prepare("INSERT OR IGNORE INTO reading_devices (device_id) VALUES ($d)", "$d");
    }

    /// <summary>The read model's layout; a file of another layout is refused rather than half-used.</summary>
    public const int SchemaVersion = 1;

    private void CheckSchemaVersion()
    {
        using var cmd = _writer.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        var version = (long)cmd.ExecuteScalar()!;
        cmd.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sensor_readings'";
        var hasReadings = (long)cmd.ExecuteScalar()! > 0;
        if (version == SchemaVersion || (version == 0 && !hasReadings)) return;
        throw new StoreVersionException(
            $"read model '{Path}' has layout {version}, this node writes layout {SchemaVersion}: stop the node, move the file away " +
            "and start again; it is rebuilt from the journal, and other members' readings are pulled again");
    }

    /// <summary>A command on the writer connection, kept for the store's life, with its parameters in order.</summary>
    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    private readonly bool _synchronousFull;
    private readonly SqliteCommand _noteDevice;
    private readonly SqliteCommand _saveProgress;
    private readonly SqliteCommand _findCopy;
    private readonly SqliteCommand _supersede;

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
            origin_seq  INTEGER NOT NULL,
            -- 1 for a copy of a (device_id, seq) that another member also accepted and that lost to
            -- it; kept so that every origin's stream stays whole for replication, hidden from queries.
            superseded  INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS idx_device_timestamp ON sensor_readings(device_id, timestamp);
        CREATE UNIQUE INDEX IF NOT EXISTS ux_device_seq ON sensor_readings(device_id, seq)
            WHERE seq IS NOT NULL AND superseded = 0;
        -- Every device that has readings here, registered or not yet (the registry may lag the readings).
        CREATE TABLE IF NOT EXISTS reading_devices (device_id INTEGER PRIMARY KEY);
        -- The version vector: how far this member holds each origin's stream (always a prefix).
        CREATE TABLE IF NOT EXISTS origin_progress (
            origin_node TEXT PRIMARY KEY,
            highest_seq INTEGER NOT NULL);
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
    /// Applies groups of readings (journaled here, or pulled from another member) in one
    /// transaction, moving the version vector and, for this node's own journal, the projection
    /// offset. A reading already present is left as it is. Two copies of one (device_id, seq)
    /// accepted by different members resolve the same way on every member: the copy with the
    /// smaller (origin_node, origin_seq) is shown, the other is kept superseded.
    /// </summary>
    public int Apply(IEnumerable<ReadingsJournaled> groups, long? journalSequenceNr, bool durable = false)
    {
        // A strong write is confirmed only once its copy here survives a power cut: this commit fsyncs.
        if (durable && !_synchronousFull) Execute(_writer, "PRAGMA synchronous=FULL");
        try
        {
            return ApplyInTransaction(groups, journalSequenceNr);
        }
        finally
        {
            if (durable && !_synchronousFull) Execute(_writer, "PRAGMA synchronous=NORMAL");
        }
    }

    private int ApplyInTransaction(IEnumerable<ReadingsJournaled> groups, long? journalSequenceNr)
    {
        using var tx = _writer.BeginTransaction();
        foreach (var command in new[] { _insertReading, _saveOffset, _saveProgress, _findCopy, _supersede, _noteDevice }) command.Transaction = tx;
        var inserted = 0;
        var devices = new HashSet<int>();
        var p = _insertReading.Parameters;
        foreach (var group in groups)
        {
            if (group.Readings.Count == 0) continue;
            var originBase = OriginId(group.OriginNode, tx) * OriginSeqSpan;
            foreach (var j in group.Readings)
            {
                var r = j.Reading;
                var id = originBase + j.OriginSeq;
                p[0].Value = r.DeviceId;
                p[1].Value = TimeText.FromUnixMs(r.DeviceTimeMs);
                p[2].Value = TimeText.FromUnixMs(r.ReceivedAtMs);
                p[3].Value = r.Temperature;
                p[4].Value = r.Humidity;
                p[5].Value = r.Seq is { } seq ? seq : DBNull.Value;
                p[6].Value = j.OriginNode;
                p[7].Value = j.OriginSeq;
                p[8].Value = id;
                p[9].Value = 0;
                devices.Add(r.DeviceId);
                var added = _insertReading.ExecuteNonQuery();
                if (added == 0 && r.Seq is not null) added = ResolveCopies(j, id);
                inserted += added;
            }
            _saveProgress.Parameters[0].Value = group.OriginNode;
            _saveProgress.Parameters[1].Value = group.LastOriginSeq;
            _saveProgress.ExecuteNonQuery();
        }
        foreach (var device in devices)
        {
            _noteDevice.Parameters[0].Value = device;
            _noteDevice.ExecuteNonQuery();
        }
        if (journalSequenceNr is { } offset)
        {
            _saveOffset.Parameters[0].Value = JournalProjection;
            _saveOffset.Parameters[1].Value = offset;
            _saveOffset.ExecuteNonQuery();
        }
        tx.Commit();
        return inserted;
    }

    // The insert was ignored: either this very reading is here already, or another member's copy
    // of the same (device_id, seq) is shown. The parameters of _insertReading still hold the reading.
    private int ResolveCopies(JournaledReading reading, long id)
    {
        _findCopy.Parameters[0].Value = id;
        _findCopy.Parameters[1].Value = reading.Reading.DeviceId;
        _findCopy.Parameters[2].Value = reading.Reading.Seq;
        long shownId;
        string shownOrigin;
        long shownSeq;
        using (var found = _findCopy.ExecuteReader())
        {
            if (!found.Read()) return 0;
            shownId = found.GetInt64(0);
            shownOrigin = found.GetString(1);
            shownSeq = found.GetInt64(2);
        }
        if (shownId == id) return 0;
        var newWins = string.CompareOrdinal(reading.OriginNode, shownOrigin) switch
        {
            < 0 => true,
            0 => reading.OriginSeq < shownSeq,
            _ => false,
        };
        if (newWins)
        {
            _supersede.Parameters[0].Value = shownId;
            _supersede.ExecuteNonQuery();
        }
        _insertReading.Parameters[9].Value = newWins ? 0 : 1;
        _insertReading.ExecuteNonQuery();
        return newWins ? 1 : 0;
    }

    /// <summary>This member's version vector: for each origin, the highest origin seq of the prefix it holds.</summary>
    public IReadOnlyDictionary<string, long> VersionVector()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin_node, highest_seq FROM origin_progress";
        using var reader = cmd.ExecuteReader();
        var vector = new Dictionary<string, long>();
        while (reader.Read()) vector[reader.GetString(0)] = reader.GetInt64(1);
        return vector;
    }

    /// <summary>
    /// What a member with version vector <paramref name="theirs"/> lacks of what this member holds,
    /// as consecutive runs of each origin's stream, at most <paramref name="max"/> readings.
    /// </summary>
    public IReadOnlyList<ReadingsJournaled> ReadingsAfter(IReadOnlyDictionary<string, long> theirs, int max)
    {
        var groups = new List<ReadingsJournaled>();
        var left = max;
        using var c = Open();
        foreach (var (origin, highest) in VersionVector().OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var from = theirs.TryGetValue(origin, out var have) ? have : 0;
            if (highest <= from || left <= 0) continue;
            using var cmd = c.CreateCommand();
            cmd.CommandText =
                """
                SELECT device_id, timestamp, received_at, temperature, humidity, seq, origin_seq
                FROM sensor_readings
                WHERE reading_id > (SELECT origin_id FROM origins WHERE origin_node = $o) * $span + $from
                  AND reading_id <= (SELECT origin_id FROM origins WHERE origin_node = $o) * $span + $to
                ORDER BY reading_id LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$o", origin);
            cmd.Parameters.AddWithValue("$span", OriginSeqSpan);
            cmd.Parameters.AddWithValue("$from", from);
            cmd.Parameters.AddWithValue("$to", highest);
            cmd.Parameters.AddWithValue("$limit", left);
            var readings = new List<JournaledReading>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    var originSeq = reader.GetInt64(6);
                    if (originSeq != from + readings.Count + 1) break;
                    var reading = new Reading(reader.GetInt32(0), reader.GetDouble(3), reader.GetDouble(4),
                        TimeText.ToUnixMs(reader.GetString(1)), TimeText.ToUnixMs(reader.GetString(2)),
                        reader.IsDBNull(5) ? null : reader.GetInt64(5));
                    readings.Add(new JournaledReading(reading, origin, originSeq));
                }
            }
            if (readings.Count == 0) continue;
            groups.Add(new ReadingsJournaled(origin, readings));
            left -= readings.Count;
        }
        return groups;
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
            cmd.CommandText = "SELECT MAX(seq) FROM sensor_readings WHERE device_id = $id AND seq IS NOT NULL AND superseded = 0";
            cmd.Parameters.AddWithValue("$id", deviceId);
            highest = cmd.ExecuteScalar() is long h ? h : null;
        }
        var recent = new List<long>();
        if (highest is { } top)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT seq FROM sensor_readings WHERE device_id = $id AND seq > $floor AND superseded = 0";
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
        cmd.CommandText = "SELECT 1 FROM sensor_readings WHERE device_id = $id AND seq = $seq AND superseded = 0";
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$seq", seq);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Newest first, by device time (ties by origin, the same on every member), within [since, until] when given.</summary>
    public IReadOnlyList<StoredReading> Readings(int deviceId, int limit, long? sinceMs, long? untilMs)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT reading_id, device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq
            FROM sensor_readings
            WHERE device_id = $id AND timestamp >= $since AND timestamp <= $until AND superseded = 0
            ORDER BY timestamp DESC, origin_node, origin_seq LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$since", sinceMs is { } s ? TimeText.FromUnixMs(s) : "");
        cmd.Parameters.AddWithValue("$until", untilMs is { } u ? TimeText.FromUnixMs(u) : "~");
        cmd.Parameters.AddWithValue("$limit", limit);
        return StoredReadings(cmd);
    }

    // Rows of (reading_id, device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq).
    private static List<StoredReading> StoredReadings(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var rows = new List<StoredReading>();
        while (reader.Read())
            rows.Add(new StoredReading(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
                reader.GetDouble(4), reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetInt64(6),
                reader.GetString(7), reader.GetInt64(8)));
        return rows;
    }

    /// <summary>
    /// The latest reading of every device with readings, by device time; ties go to the smaller
    /// (origin, origin seq), so members holding the same readings answer the same.
    /// </summary>
    public IReadOnlyList<StoredReading> Latest()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT r.reading_id, r.device_id, r.timestamp, r.received_at, r.temperature, r.humidity, r.seq, r.origin_node, r.origin_seq
            FROM reading_devices d
            JOIN sensor_readings r ON r.reading_id = (
                SELECT s.reading_id FROM sensor_readings s
                WHERE s.device_id = d.device_id AND s.superseded = 0
                ORDER BY s.timestamp DESC, s.origin_node, s.origin_seq LIMIT 1)
            ORDER BY d.device_id
            """;
        return StoredReadings(cmd);
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
            WHERE device_id = $id AND timestamp >= $since AND superseded = 0
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
        cmd.CommandText = "SELECT COUNT(*) FROM sensor_readings WHERE superseded = 0";
        return (long)cmd.ExecuteScalar()!;
    }

    public void Dispose()
    {
        _insertReading.Dispose();
        _saveOffset.Dispose();
        _saveProgress.Dispose();
        _findCopy.Dispose();
        _supersede.Dispose();
        _noteDevice.Dispose();
        _writer.Dispose();
    }
}
