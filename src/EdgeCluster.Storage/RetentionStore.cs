using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>Raw readings of one origin that left the hot tier, in origin order, and how far the origin's floor moves with them.</summary>
public sealed record ExpiredChunk(string OriginNode, long FromSeq, long Through, IReadOnlyList<ArchivedReading> Readings);

/// <summary>One raw reading as the archive keeps it (the read model's columns, superseded copies included and marked).</summary>
public sealed record ArchivedReading(long ReadingId, int DeviceId, string Timestamp, string ReceivedAt, double Temperature, double Humidity,
    long? Seq, string OriginNode, long OriginSeq, bool Superseded);

/// <summary>
/// Tiered retention on the read model. Raw readings leave the hot tier per origin as a prefix of its stream (the
/// origin's floor), so the version vector stays exact and a member asking for an expired range is told to take the
/// range's rollups instead; hourly rollups fold into daily ones past the warm tier; rollups past the cold tier go.
/// Reads (<see cref="NextChunk"/>, <see cref="Floors"/>, ...) use connections of their own; every write (<see cref="Expire"/>,
/// <see cref="Fold"/>, <see cref="DropBefore"/>) runs on the writer's connection, so it must be called
/// by the read model's one writer (the read-model writer actor), between its applies: no two writers wait on SQLite's lock.
/// Expired ranges between members (what a member that lacks them is sent, and takes) are <see cref="ExpiredRanges"/>.
/// What a write aggregates is read inside the transaction that deletes, so a reading applied meanwhile is counted once.
/// </summary>
public sealed class RetentionStore(ReadModelDatabase db, ReadingWriter writer)
{
    public const string FoldedBeforeMark = "folded_before";

    /// <summary>The latest device time of any raw reading that left this member's raw tier (expired, or replaced by a range's rollups).</summary>
    public const string RawExpiredMark = "raw_expired_through";

    /// <summary>Moves <see cref="RawExpiredMark"/> up to the time <paramref name="select"/> gives as <c>m</c> (none: unchanged).</summary>
    internal static string NoteRawExpired(string select) =>
        $"""
        INSERT INTO retention_marks (name, value) SELECT '{RawExpiredMark}', m FROM ({select}) WHERE m IS NOT NULL
        ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value);
        """;

    public static string? ReadMark(SqliteConnection connection, string name)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM retention_marks WHERE name = $name";
        cmd.Parameters.AddWithValue("$name", name);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Each origin's floor: every reading of it up to this origin seq left the raw tier here.</summary>
    public IReadOnlyDictionary<string, long> Floors()
    {
        using var c = db.Open();
        return Floors(c);
    }

    private static Dictionary<string, long> Floors(SqliteConnection c) => ReplicationSource.FloorsOn(c);

    /// <summary>
    /// The next readings of <paramref name="origin"/> to leave the raw tier: from its floor on, in origin order, while each
    /// is older than <paramref name="cutoff"/> (by device time, or by arrival when the device's clock is ahead), up to
    /// <paramref name="maxThrough"/> (what the uplink has delivered, or all this member holds) and <paramref name="maxRows"/>.
    /// Empty when the first one is still young.
    /// </summary>
    public ExpiredChunk? NextChunk(string origin, string cutoff, long maxThrough, int maxRows)
    {
        using var c = db.Open();
        var floor = Floors(c).GetValueOrDefault(origin);
        if (maxThrough <= floor) return null;
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            $"""
            SELECT {ReadModelSchema.ReadingColumns}, superseded FROM sensor_readings
            WHERE reading_id > (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $floor
              AND reading_id <= (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $through
            ORDER BY reading_id LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$origin", origin);
        cmd.Parameters.AddWithValue("$span", ReadModelSchema.OriginSeqSpan);
        cmd.Parameters.AddWithValue("$floor", floor);
        cmd.Parameters.AddWithValue("$through", maxThrough);
        cmd.Parameters.AddWithValue("$limit", maxRows);
        var rows = new List<ArchivedReading>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = ReadModelSchema.ReadRow(r);
            var age = AgeOf(row.Timestamp, row.ReceivedAt);
            // A prefix: the first young reading (or a hole, which a held prefix never has) ends the chunk.
            if (string.CompareOrdinal(age, cutoff) >= 0 || row.OriginSeq != floor + rows.Count + 1) break;
            rows.Add(new ArchivedReading(row.ReadingId, row.DeviceId, row.Timestamp, row.ReceivedAt, row.Temperature, row.Humidity,
                row.Seq, row.OriginNode, row.OriginSeq, r.GetInt64(9) != 0));
        }
        return rows.Count == 0 ? null : new ExpiredChunk(origin, floor + 1, floor + rows.Count, rows);
    }

    /// <summary>Readings one expiry transaction deletes at most: ingestion waits at most one of them for SQLite's write lock.</summary>
    public const int RowsPerTransaction = 4_000;

    /// <summary>The time a raw reading ages from: its device time, or its arrival when the device's clock is ahead.</summary>
    public static string AgeOf(string timestamp, string receivedAt) =>
        string.CompareOrdinal(timestamp, receivedAt) < 0 ? timestamp : receivedAt;

    /// <summary>
    /// Deletes a chunk's readings (once they are archived), adding the shown ones to the origin's expired rollups, and
    /// moves the origin's floor, in transactions of at most <see cref="RowsPerTransaction"/> readings. Returns the readings deleted.
    /// </summary>
    public int Expire(ExpiredChunk chunk) =>
        Ranges(chunk).Sum(range => ExpireRange(chunk.OriginNode, range.From, range.Through));

    /// <summary>A chunk's origin seqs in runs of at most <see cref="RowsPerTransaction"/>, one transaction each.</summary>
    public static IEnumerable<(long From, long Through)> Ranges(ExpiredChunk chunk)
    {
        for (var from = chunk.FromSeq; from <= chunk.Through; from += RowsPerTransaction)
            yield return (from, Math.Min(chunk.Through, from + RowsPerTransaction - 1));
    }

    /// <summary>One transaction of <see cref="Expire"/>: origin seqs <paramref name="fromSeq"/>..<paramref name="through"/> leave the raw tier.</summary>
    public int ExpireRange(string originNode, long fromSeq, long through)
    {
        var c = db.Writer;
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("$origin", originNode);
        cmd.Parameters.AddWithValue("$span", ReadModelSchema.OriginSeqSpan);
        cmd.Parameters.AddWithValue("$from", fromSeq);
        cmd.Parameters.AddWithValue("$through", through);
        cmd.Parameters.AddWithValue("$folded", writer.FoldedBefore);
        const string range =
            """
            reading_id >= (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $from
            AND reading_id <= (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $through
            """;
        cmd.CommandText =
            $"""
            INSERT INTO expired_rollups (origin_id, device_id, bucket, {Rollups.Columns})
            SELECT (SELECT origin_id FROM origins WHERE origin_node = $origin), * FROM ({Rollups.AggregateSql(range)}) WHERE true
            {Rollups.Combine("origin_id, device_id, bucket")};
            {NoteRawExpired($"SELECT MAX(timestamp) AS m FROM sensor_readings WHERE {range}")}
            DELETE FROM sensor_readings WHERE {range};
            """;
        cmd.ExecuteNonQuery();
        using var changes = c.CreateCommand();
        changes.Transaction = tx;
        changes.CommandText = "SELECT changes()";
        var count = (int)(long)changes.ExecuteScalar()!;
        cmd.CommandText =
            """
            INSERT INTO origin_floor (origin_node, expired_through) VALUES ($origin, $through)
            ON CONFLICT(origin_node) DO UPDATE SET expired_through = MAX(expired_through, excluded.expired_through)
            """;
        cmd.ExecuteNonQuery();
        tx.Commit();
        return count;
    }

    /// <summary>Hours of days before <paramref name="day"/> (yyyy-MM-dd) become those days, in both rollup tables. Returns the hours folded.</summary>
    public int Fold(string day)
    {
        var c = db.Writer;
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("$day", day);
        const string sums = "SUM(count), SUM(sum_t), MIN(min_t), MAX(max_t), SUM(sum_h), MIN(min_h), MAX(max_h), MIN(first_at), MAX(last_at)";
        const string hours = "length(bucket) = 13 AND substr(bucket, 1, 10) < $day";
        cmd.CommandText =
            $"""
            INSERT INTO rollups (device_id, bucket, {Rollups.Columns})
            SELECT device_id, substr(bucket, 1, 10) AS d, {sums} FROM rollups WHERE {hours} GROUP BY device_id, d
            {Rollups.CombineRollups};
            INSERT INTO expired_rollups (origin_id, device_id, bucket, {Rollups.Columns})
            SELECT origin_id, device_id, substr(bucket, 1, 10) AS d, {sums} FROM expired_rollups WHERE {hours} GROUP BY origin_id, device_id, d
            {Rollups.Combine("origin_id, device_id, bucket")};
            DELETE FROM rollups WHERE {hours};
            """;
        cmd.ExecuteNonQuery();
        cmd.CommandText = "SELECT changes()";
        var folded = (int)(long)cmd.ExecuteScalar()!;
        cmd.CommandText =
            $"""
            DELETE FROM expired_rollups WHERE {hours};
            INSERT INTO retention_marks (name, value) VALUES ('{FoldedBeforeMark}', $day)
            ON CONFLICT(name) DO UPDATE SET value = MAX(value, excluded.value);
            """;
        cmd.ExecuteNonQuery();
        tx.Commit();
        if (string.CompareOrdinal(day, writer.FoldedBefore) > 0) writer.FoldedBefore = day;
        return folded;
    }

    /// <summary>Rollups of days before <paramref name="day"/> leave the cold tier. Returns the buckets deleted.</summary>
    public int DropBefore(string day)
    {
        var c = db.Writer;
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("$day", day);
        cmd.CommandText = "DELETE FROM rollups WHERE substr(bucket, 1, 10) < $day";
        var dropped = cmd.ExecuteNonQuery();
        cmd.CommandText = "DELETE FROM expired_rollups WHERE substr(bucket, 1, 10) < $day";
        cmd.ExecuteNonQuery();
        tx.Commit();
        return dropped;
    }

    /// <summary>
    /// The highest journal sequence number whose events hold only readings of <paramref name="ownOrigin"/> that left the raw
    /// tier (and that the read model applied), or 0: the journal may delete its events up to it. The read model's file is
    /// checkpointed first, so what the tiers hold of those readings is on disk before the journal lets go of them.
    /// </summary>
    public long CompactableJournal(string ownOrigin)
    {
        using var c = db.Open();
        var floor = Floors(c).GetValueOrDefault(ownOrigin);
        if (floor == 0) return 0;
        ReadModelDatabase.Execute(c, "PRAGMA wal_checkpoint(FULL)");
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT COALESCE(MAX(sequence_nr), 0) FROM journal_marks
            WHERE last_origin_seq <= $floor AND sequence_nr <= (SELECT offset FROM projection_offsets WHERE projection = $projection)
            """;
        cmd.Parameters.AddWithValue("$floor", floor);
        cmd.Parameters.AddWithValue("$projection", ReadingWriter.JournalProjection);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The journal deleted its events up to <paramref name="sequenceNr"/>: their marks go too.</summary>
    public void ForgetJournalMarks(long sequenceNr)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM journal_marks WHERE sequence_nr <= $sequenceNr";
        cmd.Parameters.AddWithValue("$sequenceNr", sequenceNr);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Rows and oldest bucket of the hourly (warm) and daily (cold) tiers.</summary>
    public (long HourlyRows, string? HourlyOldest, long DailyRows, string? DailyOldest) RollupTiers()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT length(bucket) AS width, COUNT(*), MIN(bucket) FROM rollups WHERE count > 0 GROUP BY width
            """;
        long hourly = 0, daily = 0;
        string? hourlyOldest = null, dailyOldest = null;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (r.GetInt32(0) == 13) (hourly, hourlyOldest) = (r.GetInt64(1), r.GetString(2) + ":00:00Z");
            else (daily, dailyOldest) = (r.GetInt64(1), r.GetString(2));
        }
        return (hourly, hourlyOldest, daily, dailyOldest);
    }

    /// <summary>
    /// Bytes on disk of the raw tier (the readings with their indexes) and of the rollups (both tables), from the file's
    /// b-trees (<see cref="BTreePages"/>: reads every page of the file, call it rarely).
    /// </summary>
    public (long Raw, long Rollups) TierBytes()
    {
        using var c = db.Open();
        var bytes = BTreePages.BytesByTable(c, db.Path);
        return (bytes.GetValueOrDefault("sensor_readings"), bytes.GetValueOrDefault("rollups") + bytes.GetValueOrDefault("expired_rollups"));
    }
}
