using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>
/// Expired ranges between members: what this member sends a member that lacks readings it expired (the origin's range
/// up to its floor, as rollups), and how it takes such a range from another member in place of readings it can no longer
/// get. <see cref="Take"/> runs on the writer's connection, called by the read-model writer like every other write.
/// </summary>
public sealed class ExpiredRanges(ReadModelDatabase db, ReadingWriter writer)
{
    /// <summary>At most this many rollup rows travel with an expired range (a lab's 100 devices over 30 days need about 20,000).</summary>
    public const int MaxTransferRows = 50_000;

    /// <summary>
    /// For a member whose vector is <paramref name="theirs"/>: each origin whose readings it lacks up to this member's
    /// floor, with the rollups that stand in for them.
    /// </summary>
    internal static IReadOnlyList<ExpiredRange> For(SqliteConnection c, IReadOnlyDictionary<string, long> floors, IReadOnlyDictionary<string, long> theirs)
    {
        var ranges = new List<ExpiredRange>();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            $"""
            SELECT device_id, bucket, {Rollups.Columns} FROM expired_rollups
            WHERE origin_id = (SELECT origin_id FROM origins WHERE origin_node = $origin) LIMIT {MaxTransferRows + 1}
            """;
        var origin = cmd.Parameters.Add("$origin", SqliteType.Text);
        foreach (var (node, floor) in floors)
        {
            if (theirs.GetValueOrDefault(node) >= floor) continue;
            origin.Value = node;
            var rows = new List<RollupRow>();
            using (var r = cmd.ExecuteReader())
                while (r.Read())
                    rows.Add(new RollupRow(r.GetInt32(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), NullableDouble(r, 4), NullableDouble(r, 5),
                        r.GetDouble(6), NullableDouble(r, 7), NullableDouble(r, 8), r.IsDBNull(9) ? null : r.GetString(9),
                        r.IsDBNull(10) ? null : r.GetString(10)));
            if (rows.Count > MaxTransferRows)
                throw new InvalidOperationException(
                    $"origin {node} has more than {MaxTransferRows} expired rollup buckets; a member that lacks them cannot be sent them in one message");
            ranges.Add(new ExpiredRange(node, floor, rows));
        }
        return ranges;
    }

    private static double? NullableDouble(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetDouble(i);

    /// <summary>
    /// Takes another member's expired range of an origin in place of the readings this member can no longer get: its
    /// own part of that origin up to its vector leaves the rollups and the raw tier, the range's rollups take its place,
    /// and the origin's floor and vector entry move to the range's end. False when this member already holds the range.
    /// Runs on the writer's connection (the read-model writer calls it before applying the readings that follow the range).
    /// </summary>
    public bool Take(ExpiredRange range)
    {
        var c = db.Writer;
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("$origin", range.OriginNode);
        cmd.CommandText = "SELECT highest_seq FROM origin_progress WHERE origin_node = $origin";
        var progress = cmd.ExecuteScalar() is long p ? p : 0;
        if (progress >= range.Through) return false;
        cmd.CommandText =
            """
            INSERT INTO origins (origin_node) VALUES ($origin) ON CONFLICT(origin_node) DO NOTHING;
            SELECT origin_id FROM origins WHERE origin_node = $origin;
            """;
        var originId = (long)cmd.ExecuteScalar()!;
        cmd.Parameters.AddWithValue("$originId", originId);
        cmd.Parameters.AddWithValue("$from", originId * ReadModelSchema.OriginSeqSpan);
        cmd.Parameters.AddWithValue("$to", originId * ReadModelSchema.OriginSeqSpan + progress);
        cmd.Parameters.AddWithValue("$folded", writer.FoldedBefore);
        cmd.Parameters.AddWithValue("$through", range.Through);
        // The range's readings are in the rollups and not in the raw tier: up to their latest time, raw counts are not whole.
        cmd.Parameters.AddWithValue("$rowsThrough", range.Rows.Select(r => r.LastAt ?? Rollups.BucketEnd(r.Bucket)).Max(StringComparer.Ordinal) ?? (object)DBNull.Value);
        // Its own part of the origin leaves the sums (extremes stay: they are within the range's, which covers them).
        cmd.CommandText =
            $"""
            INSERT INTO rollups (device_id, bucket, {Rollups.Columns})
            SELECT device_id, bucket, -count, -sum_t, NULL, NULL, -sum_h, NULL, NULL, NULL, NULL FROM expired_rollups WHERE origin_id = $originId
            {Rollups.CombineRollups};
            INSERT INTO rollups (device_id, bucket, {Rollups.Columns})
            SELECT device_id, b, -c, -st, NULL, NULL, -sh, NULL, NULL, NULL, NULL FROM (
                SELECT device_id, {Rollups.BucketSql("timestamp")} AS b, COUNT(*) AS c, SUM(temperature) AS st, SUM(humidity) AS sh
                FROM sensor_readings WHERE reading_id > $from AND reading_id <= $to AND superseded = 0 GROUP BY device_id, b) WHERE true
            {Rollups.CombineRollups};
            {RetentionStore.NoteRawExpired("SELECT MAX(timestamp) AS m FROM sensor_readings WHERE reading_id > $from AND reading_id <= $to")}
            {RetentionStore.NoteRawExpired("SELECT $rowsThrough AS m")}
            DELETE FROM sensor_readings WHERE reading_id > $from AND reading_id <= $to;
            DELETE FROM expired_rollups WHERE origin_id = $originId;
            INSERT INTO origin_floor (origin_node, expired_through) VALUES ($origin, $through)
            ON CONFLICT(origin_node) DO UPDATE SET expired_through = MAX(expired_through, excluded.expired_through);
            INSERT INTO origin_progress (origin_node, highest_seq) VALUES ($origin, $through)
            ON CONFLICT(origin_node) DO UPDATE SET highest_seq = MAX(highest_seq, excluded.highest_seq);
            """;
        cmd.ExecuteNonQuery();
        using var insert = c.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText =
            $"""
            INSERT INTO expired_rollups (origin_id, device_id, bucket, {Rollups.Columns})
            VALUES ($originId, $device, $bucket, $count, $sumT, $minT, $maxT, $sumH, $minH, $maxH, $first, $last);
            {RollupAccumulator.UpsertSql};
            INSERT OR IGNORE INTO reading_devices (device_id) VALUES ($device);
            """;
        insert.Parameters.AddWithValue("$originId", originId);
        foreach (var name in RollupAccumulator.Parameters) insert.Parameters.Add(new SqliteParameter { ParameterName = name });
        insert.Parameters["$gap"].Value = DBNull.Value; // a range's readings are not here: the gaps of its buckets are not known
        foreach (var row in range.Rows)
        {
            RollupAccumulator.Bind(insert.Parameters, row);
            insert.ExecuteNonQuery();
        }
        cmd.CommandText = "DELETE FROM rollups WHERE count <= 0";
        cmd.ExecuteNonQuery();
        tx.Commit();
        return true;
    }
}
