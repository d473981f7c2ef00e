using Npgsql;

namespace EdgeCluster.Node.Uplink;

/// <summary>A cloud table the node did not create and will not write around: missing columns are reported, never patched.</summary>
public sealed class CloudSchemaException(string message) : Exception(message);

/// <summary>
/// The cloud copy: the lab's <c>devices</c> and <c>sensor_readings</c> (with the <c>(device_id, timestamp)</c> index), so the
/// lab's SQL runs on it unchanged, plus what exactly-once needs: each reading's origin and origin seq (unique), and
/// <c>edge_uplink_cursor</c>, how far the cloud holds each origin's stream, written in the same transaction as the rows.
/// </summary>
public static class CloudSchema
{
    public const string Create =
        """
        CREATE TABLE IF NOT EXISTS devices (
            device_id     INTEGER PRIMARY KEY,
            name          TEXT NOT NULL,
            type          TEXT NOT NULL,
            location      TEXT,
            registered_at TIMESTAMPTZ,
            interval_s    INTEGER);
        -- device_id refers to devices(device_id) as in the lab; not enforced, because a member may upload a reading
        -- before the registry entry of its device has reached that member (the edge's read model does the same).
        CREATE TABLE IF NOT EXISTS sensor_readings (
            reading_id  BIGSERIAL PRIMARY KEY,
            device_id   INTEGER NOT NULL,
            timestamp   TIMESTAMPTZ NOT NULL,
            temperature DOUBLE PRECISION NOT NULL,
            humidity    DOUBLE PRECISION NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            seq         BIGINT,
            origin_node TEXT NOT NULL,
            origin_seq  BIGINT NOT NULL,
            CONSTRAINT ux_sensor_readings_origin UNIQUE (origin_node, origin_seq));
        CREATE INDEX IF NOT EXISTS idx_device_timestamp ON sensor_readings(device_id, timestamp);
        -- A reading a board sent twice (to two members, after a reply it did not get) is one reading here, as on the edge.
        CREATE UNIQUE INDEX IF NOT EXISTS ux_sensor_readings_device_seq ON sensor_readings(device_id, seq) WHERE seq IS NOT NULL;
        CREATE TABLE IF NOT EXISTS edge_uplink_cursor (
            origin_node TEXT PRIMARY KEY,
            highest_seq BIGINT NOT NULL,
            updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_by  TEXT);
        """;

    /// <summary>The columns the uplink writes, per table; a table that lacks one is reported by name.</summary>
    private static readonly Dictionary<string, string[]> Columns = new()
    {
        ["devices"] = ["device_id", "name", "type", "location", "registered_at", "interval_s"],
        ["sensor_readings"] = ["device_id", "timestamp", "temperature", "humidity", "received_at", "seq", "origin_node", "origin_seq"],
        ["edge_uplink_cursor"] = ["origin_node", "highest_seq", "updated_at", "updated_by"],
    };

    /// <summary>
    /// Checks the tables it finds (a table that lacks a column the uplink writes is reported, and nothing is created or
    /// written), creates the ones that are missing, then checks the unique key that exactly-once rests on.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, CancellationToken cancel)
    {
        // Two members creating the schema at once would race on CREATE ... IF NOT EXISTS; one at a time.
        await using var tx = await connection.BeginTransactionAsync(cancel);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7262011)", connection, tx))
            await lockCmd.ExecuteNonQueryAsync(cancel);

        await using (var cmd = new NpgsqlCommand(
                         "SELECT table_name, column_name FROM information_schema.columns " +
                         "WHERE table_schema = current_schema() AND table_name = ANY(@tables)", connection, tx))
        {
            cmd.Parameters.AddWithValue("tables", Columns.Keys.ToArray());
            var present = new HashSet<(string Table, string Column)>();
            await using (var reader = await cmd.ExecuteReaderAsync(cancel))
                while (await reader.ReadAsync(cancel))
                    present.Add((reader.GetString(0), reader.GetString(1)));
            var tables = present.Select(p => p.Table).ToHashSet();
            var missing = Columns.Where(t => tables.Contains(t.Key))
                .SelectMany(t => t.Value.Where(c => !present.Contains((t.Key, c))).Select(c => $"{t.Key}.{c}")).ToList();
            if (missing.Count > 0)
                throw new CloudSchemaException(
                    $"the cloud schema lacks {string.Join(", ", missing)}: the uplink did not create these tables and does not write " +
                    "around them; add the columns (docs/uplink.md has the schema) or point --uplink at an empty database");
        }

        await using (var create = new NpgsqlCommand(Create, connection, tx))
            await create.ExecuteNonQueryAsync(cancel);

        // Without the unique (origin_node, origin_seq) key a re-sent batch could not be told from a new one.
        await using (var unique = new NpgsqlCommand(
                         "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'sensor_readings' " +
                         "AND indexdef LIKE 'CREATE UNIQUE INDEX%(origin_node, origin_seq)%'", connection, tx))
        {
            if ((long)(await unique.ExecuteScalarAsync(cancel))! == 0)
                throw new CloudSchemaException(
                    "the cloud table sensor_readings has no unique key on (origin_node, origin_seq), which exactly-once needs; " +
                    "add it (docs/uplink.md has the schema) or point --uplink at an empty database");
        }
        await tx.CommitAsync(cancel);
    }
}
