using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>
/// The only writer of <c>sensor_readings</c> (besides retention, which deletes), <c>rollups</c>, <c>reading_devices</c>,
/// <c>origins</c>, <c>origin_progress</c> and <c>projection_offsets</c>: applies groups of readings (journaled here, or pulled from another member) in one
/// transaction each. Used by one caller at a time (the read-model writer actor).
/// </summary>
public sealed class ReadingWriter : IDisposable
{
    public const string JournalProjection = "reading-journal";

    private readonly ReadModelDatabase _db;
    private readonly RawStatement _insertReading;
    private readonly SqliteCommand _saveOffset;
    private readonly SqliteCommand _saveProgress;
    private readonly SqliteCommand _findShownCopy;
    private readonly SqliteCommand _supersede;
    private readonly SqliteCommand _noteDevice;
    private readonly RawStatement _noteSeen;
    private readonly SqliteCommand _originId;
    private readonly RawStatement _upsertRollup;
    private readonly int[] _rollupAt;
    private readonly SqliteCommand _markJournal;
    private readonly SqliteCommand _highestOf;
    private readonly Dictionary<string, long> _originIds = new();
    // Devices whose reading_devices row is written (rows there are never deleted): noted once, not once a transaction.
    private readonly HashSet<int> _devicesNoted = new();
    private readonly Dictionary<string, byte[]> _originText = new();
    private readonly RollupAccumulator _rollup = new();

    public ReadingWriter(ReadModelDatabase db)
    {
        _db = db;
        // Every reading goes through this one: bound by position on SQLite's own handle (see RawStatement).
        _insertReading = new RawStatement(db.Writer,
            """
            INSERT OR IGNORE INTO sensor_readings
                (device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq, reading_id, superseded)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        _saveOffset = Prepare(
            """
            INSERT INTO projection_offsets (projection, offset) VALUES ($projection, $offset)
            ON CONFLICT(projection) DO UPDATE SET offset = MAX(offset, excluded.offset)
            """, "$projection", "$offset");
        _saveProgress = Prepare(
            """
            INSERT INTO origin_progress (origin_node, highest_seq) VALUES ($origin, $highest)
            ON CONFLICT(origin_node) DO UPDATE SET highest_seq = MAX(highest_seq, excluded.highest_seq)
            """, "$origin", "$highest");
        _highestOf = Prepare("SELECT highest_seq FROM origin_progress WHERE origin_node = $origin", "$origin");
        _findShownCopy = Prepare(
            """
            SELECT reading_id, origin_node, origin_seq, timestamp, temperature, humidity FROM sensor_readings
            WHERE (reading_id = $id) OR (device_id = $device AND seq = $seq AND superseded = 0)
            ORDER BY reading_id = $id DESC LIMIT 1
            """, "$id", "$device", "$seq");
        _supersede = Prepare("UPDATE sensor_readings SET superseded = 1 WHERE reading_id = $id", "$id");
        _noteDevice = Prepare("INSERT OR IGNORE INTO reading_devices (device_id) VALUES ($device)", "$device");
        // A transaction over 100 devices runs these two for each of them: bound by position too.
        _noteSeen = new RawStatement(db.Writer,
            """
            INSERT INTO device_seen (device_id, last_received_at) VALUES (?1, ?2)
            ON CONFLICT(device_id) DO UPDATE SET last_received_at = MAX(last_received_at, excluded.last_received_at)
            """);
        _originId = Prepare(
            """
            INSERT INTO origins (origin_node) VALUES ($origin) ON CONFLICT(origin_node) DO NOTHING;
            SELECT origin_id FROM origins WHERE origin_node = $origin;
            """, "$origin");
        _upsertRollup = new RawStatement(db.Writer, RollupAccumulator.UpsertSql);
        _rollupAt = RollupAccumulator.Parameters.Select(_upsertRollup.IndexOf).ToArray();
        _markJournal = Prepare(
            "INSERT OR REPLACE INTO journal_marks (sequence_nr, last_origin_seq) VALUES ($sequenceNr, $lastOriginSeq)",
            "$sequenceNr", "$lastOriginSeq");
        FoldedBefore = RetentionStore.ReadMark(db.Writer, RetentionStore.FoldedBeforeMark) ?? "";
    }

    /// <summary>When the writer last applied readings (<see cref="Environment.TickCount64"/>): whether the node is taking readings now.</summary>
    public long LastAppliedAt => Volatile.Read(ref _lastAppliedAt);

    private long _lastAppliedAt = long.MinValue / 2;

    /// <summary>The day before which a reading's rollup bucket is its day rather than its hour (set by retention's fold).</summary>
    public string FoldedBefore { get; internal set; }

    private SqliteCommand[] Commands =>
        [_saveOffset, _saveProgress, _findShownCopy, _supersede, _noteDevice, _originId, _markJournal, _highestOf];

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _db.PrepareWriter(sql);
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        return command;
    }

    /// <summary>
    /// Applies groups of readings in one transaction, moving the version vector and, for this node's own
    /// journal, the projection offset. A reading already present is left as it is. Two copies of one
    /// (device_id, seq) accepted by different members resolve the same way on every member: the copy with
    /// the smaller (origin_node, origin_seq) is shown, the other is kept superseded.
    /// </summary>
    /// <param name="durable">A strong write is confirmed only once its copy here survives a power cut: this commit fsyncs.</param>
    /// <param name="fresh">When given, receives each reading new to this member (not a copy of one it already shows).</param>
    /// <param name="gapped">
    /// When given, a group that does not continue what this member holds of its origin (it starts past the held prefix,
    /// as a pushed group can when an earlier one was lost) is not applied but added here: the version vector says "all
    /// of the origin up to N", so a group past a gap must wait for the gap (a pull fills it).
    /// </param>
    /// <returns>How many readings became visible.</returns>
    public int Apply(IEnumerable<ReadingsJournaled> groups, long? journalSequenceNr, bool durable = false, List<JournaledReading>? fresh = null,
        List<ReadingsJournaled>? gapped = null)
    {
        var raiseSync = durable && !_db.SynchronousFull;
        if (raiseSync) ReadModelDatabase.Execute(_db.Writer, "PRAGMA synchronous=FULL");
        try
        {
            return ApplyInTransaction(groups, journalSequenceNr, fresh, gapped);
        }
        catch
        {
            // An origin id learned in a transaction that rolled back does not exist, nor do its sums or noted devices.
            _originIds.Clear();
            _devicesNoted.Clear();
            _rollup.Clear();
            throw;
        }
        finally
        {
            if (raiseSync) ReadModelDatabase.Execute(_db.Writer, "PRAGMA synchronous=NORMAL");
        }
    }

    private int ApplyInTransaction(IEnumerable<ReadingsJournaled> groups, long? journalSequenceNr, List<JournaledReading>? fresh,
        List<ReadingsJournaled>? gapped)
    {
        using var tx = _db.Writer.BeginTransaction();
        foreach (var command in Commands) command.Transaction = tx;
        var shown = 0;
        long lastOriginSeq = 0;
        var devices = new HashSet<int>();
        var seen = new Dictionary<int, long>();
        foreach (var group in groups)
        {
            if (group.Readings.Count == 0) continue;
            if (gapped is not null && group.FirstOriginSeq > HighestOf(group.OriginNode) + 1)
            {
                gapped.Add(group);
                continue;
            }
            var originBase = OriginId(group.OriginNode) * ReadModelSchema.OriginSeqSpan;
            foreach (var reading in group.Readings)
            {
                devices.Add(reading.Reading.DeviceId);
                seen[reading.Reading.DeviceId] = Math.Max(seen.GetValueOrDefault(reading.Reading.DeviceId), reading.Reading.ReceivedAtMs);
                shown += Insert(reading, originBase + reading.OriginSeq, fresh);
            }
            lastOriginSeq = Math.Max(lastOriginSeq, group.LastOriginSeq);
            _saveProgress.Parameters["$origin"].Value = group.OriginNode;
            _saveProgress.Parameters["$highest"].Value = group.LastOriginSeq;
            _saveProgress.ExecuteNonQuery();
        }
        foreach (var device in devices)
        {
            if (!_devicesNoted.Add(device)) continue;
            _noteDevice.Parameters["$device"].Value = device;
            _noteDevice.ExecuteNonQuery();
        }
        foreach (var (device, receivedMs) in seen)
        {
            _noteSeen.Bind(1, device);
            _noteSeen.Bind(2, TimeText.FromUnixMs(receivedMs));
            _noteSeen.Execute();
        }
        _rollup.Flush(_upsertRollup, _rollupAt);
        if (journalSequenceNr is { } offset)
        {
            _saveOffset.Parameters["$projection"].Value = JournalProjection;
            _saveOffset.Parameters["$offset"].Value = offset;
            _saveOffset.ExecuteNonQuery();
            if (lastOriginSeq > 0)
            {
                _markJournal.Parameters["$sequenceNr"].Value = offset;
                _markJournal.Parameters["$lastOriginSeq"].Value = lastOriginSeq;
                _markJournal.ExecuteNonQuery();
            }
        }
        tx.Commit();
        Volatile.Write(ref _lastAppliedAt, Environment.TickCount64);
        return shown;
    }

    /// <summary>The highest origin seq of the prefix held of <paramref name="origin"/>, in the open transaction (0: none).</summary>
    private long HighestOf(string origin)
    {
        _highestOf.Parameters["$origin"].Value = origin;
        return _highestOf.ExecuteScalar() is long highest ? highest : 0;
    }

    /// <summary>Stores one reading, shown or superseded; 1 when it is the shown copy of a reading new here.</summary>
    private int Insert(JournaledReading reading, long id, List<JournaledReading>? fresh)
    {
        // Formatted once: the row and the rollup both take the device's time as text.
        var time = TimeText.FromUnixMs(reading.Reading.DeviceTimeMs);
        if (InsertRow(reading, time, id, superseded: false))
        {
            AddToRollup(reading.Reading, time);
            fresh?.Add(reading);
            return 1;
        }
        if (reading.Reading.Seq is null) return 0;
        // Ignored: either this very reading is here already, or another member's copy of the same
        // (device_id, seq) is shown, and the two are ordered by origin.
        if (FindShownCopy(reading, id) is not { } other || other.Id == id) return 0;
        var newWins = string.CompareOrdinal(reading.OriginNode, other.Origin) switch
        {
            < 0 => true,
            0 => reading.OriginSeq < other.OriginSeq,
            _ => false,
        };
        if (newWins)
        {
            _supersede.Parameters["$id"].Value = other.Id;
            _supersede.ExecuteNonQuery();
            _rollup.Subtract(reading.Reading.DeviceId, Rollups.Bucket(other.Time, FoldedBefore), other.Temperature, other.Humidity);
            AddToRollup(reading.Reading, time);
        }
        InsertRow(reading, time, id, superseded: !newWins);
        return newWins ? 1 : 0;
    }

    private bool InsertRow(JournaledReading journaled, string time, long id, bool superseded)
    {
        var r = journaled.Reading;
        var insert = _insertReading;
        insert.Bind(1, r.DeviceId);
        insert.Bind(2, time);
        insert.Bind(3, TimeText.FromUnixMs(r.ReceivedAtMs));
        insert.Bind(4, r.Temperature);
        insert.Bind(5, r.Humidity);
        if (r.Seq is { } seq) insert.Bind(6, seq);
        else insert.BindNull(6);
        insert.Bind(7, OriginText(journaled.OriginNode));
        insert.Bind(8, journaled.OriginSeq);
        insert.Bind(9, id);
        insert.Bind(10, superseded ? 1 : 0);
        return insert.Execute() == 1;
    }

    /// <summary>An origin's name as UTF-8, converted once rather than for every row.</summary>
    private byte[] OriginText(string origin)
    {
        if (!_originText.TryGetValue(origin, out var text)) _originText[origin] = text = System.Text.Encoding.UTF8.GetBytes(origin);
        return text;
    }

    private void AddToRollup(Reading r, string time) =>
        _rollup.Add(r.DeviceId, Rollups.Bucket(time, FoldedBefore), time, r.DeviceTimeMs, r.Temperature, r.Humidity);

    private (long Id, string Origin, long OriginSeq, string Time, double Temperature, double Humidity)? FindShownCopy(JournaledReading reading, long id)
    {
        _findShownCopy.Parameters["$id"].Value = id;
        _findShownCopy.Parameters["$device"].Value = reading.Reading.DeviceId;
        _findShownCopy.Parameters["$seq"].Value = reading.Reading.Seq;
        using var found = _findShownCopy.ExecuteReader();
        return found.Read()
            ? (found.GetInt64(0), found.GetString(1), found.GetInt64(2), found.GetString(3), found.GetDouble(4), found.GetDouble(5))
            : null;
    }

    private long OriginId(string originNode)
    {
        if (_originIds.TryGetValue(originNode, out var id)) return id;
        _originId.Parameters["$origin"].Value = originNode;
        id = (long)_originId.ExecuteScalar()!;
        _originIds[originNode] = id;
        return id;
    }

    /// <summary>How far the read model has applied a projection's stream (the journal's sequence number).</summary>
    public long ProjectionOffset(string projection = JournalProjection)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT offset FROM projection_offsets WHERE projection = $projection";
        cmd.Parameters.AddWithValue("$projection", projection);
        return cmd.ExecuteScalar() is long offset ? offset : 0;
    }

    public void Dispose()
    {
        foreach (var command in Commands) command.Dispose();
        _insertReading.Dispose();
        _noteSeen.Dispose();
        _upsertRollup.Dispose();
    }
}
