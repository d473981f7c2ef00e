using EdgeCluster.Domain;

namespace EdgeCluster.Storage;

/// <summary>What this member holds of every origin's stream, and the runs of it another member lacks.</summary>
public sealed class ReplicationSource(ReadModelDatabase db)
{
    /// <summary>This member's version vector: for each origin, the highest origin seq of the prefix it holds.</summary>
    public IReadOnlyDictionary<string, long> VersionVector()
    {
        using var c = db.Open();
        return VectorOn(c);
    }

    private static Dictionary<string, long> VectorOn(Microsoft.Data.Sqlite.SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin_node, highest_seq FROM origin_progress";
        using var reader = cmd.ExecuteReader();
        var vector = new Dictionary<string, long>();
        while (reader.Read()) vector[reader.GetString(0)] = reader.GetInt64(1);
        return vector;
    }

    /// <summary>
    /// What a member with version vector <paramref name="theirs"/> lacks of what this member holds,
    /// as consecutive runs of each origin's stream, at most <paramref name="max"/> readings. An origin's run starts
    /// past its floor here when the member lacks more than that: the expired part reaches it as rollups
    /// (<see cref="Serve"/>).
    /// </summary>
    public IReadOnlyList<ReadingsJournaled> ReadingsAfter(IReadOnlyDictionary<string, long> theirs, int max)
    {
        using var c = db.Open();
        return ReadingsAfter(c, FloorsOn(c), theirs, max);
    }

    /// <summary>
    /// Everything a pull from a member with vector <paramref name="theirs"/> is answered with, read from one snapshot of the
    /// read model: this member's vector, the expired ranges the member lacks, and the readings that follow them.
    /// </summary>
    public (IReadOnlyDictionary<string, long> Vector, IReadOnlyList<ExpiredRange> Expired, IReadOnlyList<ReadingsJournaled> Groups)
        Serve(IReadOnlyDictionary<string, long> theirs, int max)
    {
        using var c = db.Open();
        // A read transaction started by hand: the connection's own transaction object would have to ride on every command.
        ReadModelDatabase.Execute(c, "BEGIN");
        try
        {
            var vector = VectorOn(c);
            var floors = FloorsOn(c);
            var expired = ExpiredRanges.For(c, floors, theirs);
            return (vector, expired, ReadingsAfter(c, floors, theirs, max));
        }
        finally
        {
            ReadModelDatabase.Execute(c, "COMMIT");
        }
    }

    private IReadOnlyList<ReadingsJournaled> ReadingsAfter(Microsoft.Data.Sqlite.SqliteConnection c, IReadOnlyDictionary<string, long> floors,
        IReadOnlyDictionary<string, long> theirs, int max)
    {
        var groups = new List<ReadingsJournaled>();
        var left = max;
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT device_id, timestamp, received_at, temperature, humidity, seq, origin_seq
            FROM sensor_readings
            WHERE reading_id > (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $from
              AND reading_id <= (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $to
            ORDER BY reading_id LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$span", ReadModelSchema.OriginSeqSpan);
        var origin = cmd.Parameters.Add("$origin", Microsoft.Data.Sqlite.SqliteType.Text);
        var fromSeq = cmd.Parameters.Add("$from", Microsoft.Data.Sqlite.SqliteType.Integer);
        var toSeq = cmd.Parameters.Add("$to", Microsoft.Data.Sqlite.SqliteType.Integer);
        var limit = cmd.Parameters.Add("$limit", Microsoft.Data.Sqlite.SqliteType.Integer);
        foreach (var (node, highest) in VectorOn(c).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var from = Math.Max(theirs.TryGetValue(node, out var have) ? have : 0, floors.GetValueOrDefault(node));
            if (highest <= from || left <= 0) continue;
            origin.Value = node;
            fromSeq.Value = from;
            toSeq.Value = highest;
            limit.Value = left;
            var readings = new List<JournaledReading>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read())
                {
                    var originSeq = reader.GetInt64(6);
                    // A run ends at the first hole: what follows it is not part of a prefix.
                    if (originSeq != from + readings.Count + 1) break;
                    var reading = new Reading(reader.GetInt32(0), reader.GetDouble(3), reader.GetDouble(4),
                        TimeText.ToUnixMs(reader.GetString(1)), TimeText.ToUnixMs(reader.GetString(2)),
                        reader.IsDBNull(5) ? null : reader.GetInt64(5));
                    readings.Add(new JournaledReading(reading, node, originSeq));
                }
            }
            if (readings.Count == 0) continue;
            groups.Add(new ReadingsJournaled(node, readings));
            left -= readings.Count;
        }
        return groups;
    }

    internal static Dictionary<string, long> FloorsOn(Microsoft.Data.Sqlite.SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin_node, expired_through FROM origin_floor";
        using var r = cmd.ExecuteReader();
        var floors = new Dictionary<string, long>();
        while (r.Read()) floors[r.GetString(0)] = r.GetInt64(1);
        return floors;
    }

    /// <summary>
    /// The oldest received_at among the first reading past <paramref name="after"/> of each origin this member holds, or
    /// null when it holds nothing past it: how long the oldest reading has waited for whoever reads from that vector.
    /// </summary>
    public DateTimeOffset? OldestAfter(IReadOnlyDictionary<string, long> after)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText =
            """
            SELECT received_at FROM sensor_readings
            WHERE reading_id = (SELECT origin_id FROM origins WHERE origin_node = $origin) * $span + $seq
            """;
        cmd.Parameters.AddWithValue("$span", ReadModelSchema.OriginSeqSpan);
        var origin = cmd.Parameters.Add("$origin", Microsoft.Data.Sqlite.SqliteType.Text);
        var seq = cmd.Parameters.Add("$seq", Microsoft.Data.Sqlite.SqliteType.Integer);
        DateTimeOffset? oldest = null;
        foreach (var (node, highest) in VersionVector())
        {
            var from = after.GetValueOrDefault(node);
            if (highest <= from) continue;
            origin.Value = node;
            seq.Value = from + 1;
            if (cmd.ExecuteScalar() is string text && DateTimeOffset.FromUnixTimeMilliseconds(TimeText.ToUnixMs(text)) is var at
                && (oldest is null || at < oldest))
                oldest = at;
        }
        return oldest;
    }
}
