using EdgeCluster.Domain;
using Npgsql;
using NpgsqlTypes;

namespace EdgeCluster.Node.Uplink;

/// <summary>
/// One member's connection to the cloud PostgreSQL. A batch is one transaction: lock the cursor of each origin it
/// covers, COPY the rows past the cursors (binary), and move the cursors — so a crash at any point leaves rows and
/// cursors agreeing, and a batch sent again (its commit's answer lost) finds the cursors past it and writes nothing.
/// </summary>
public sealed class CloudWriter(UplinkTarget target, string uploader) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;

    public bool Connected => _connection is { State: System.Data.ConnectionState.Open };

    /// <summary>Opens the connection, creates the cloud schema where it is missing and checks the one it finds.</summary>
    public async Task ConnectAsync(CancellationToken cancel)
    {
        await DisconnectAsync();
        var connection = new NpgsqlConnection(target.ConnectionString);
        try
        {
            await connection.OpenAsync(cancel);
            await CloudSchema.EnsureAsync(connection, cancel);
            await using var staging = new NpgsqlCommand(
                """
                CREATE TEMP TABLE IF NOT EXISTS uplink_staging (
                    device_id INTEGER, timestamp TIMESTAMPTZ, temperature DOUBLE PRECISION, humidity DOUBLE PRECISION,
                    received_at TIMESTAMPTZ, seq BIGINT, origin_node TEXT, origin_seq BIGINT) ON COMMIT DELETE ROWS
                """, connection);
            await staging.ExecuteNonQueryAsync(cancel);
            _connection = connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task DisconnectAsync()
    {
        if (_connection is null) return;
        await _connection.DisposeAsync();
        _connection = null;
    }

    private NpgsqlConnection Connection => _connection ?? throw new InvalidOperationException("uplink is not connected");

    /// <summary>How far the cloud holds each origin's stream (its cursor table).</summary>
    public async Task<Dictionary<string, long>> CursorsAsync(CancellationToken cancel)
    {
        await using var cmd = new NpgsqlCommand("SELECT origin_node, highest_seq FROM edge_uplink_cursor", Connection);
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancel);
        while (await reader.ReadAsync(cancel)) cursors[reader.GetString(0)] = reader.GetInt64(1);
        return cursors;
    }

    /// <summary>
    /// Writes each group's readings past the cloud's cursor (each group a run of one origin's stream) and moves the cursors,
    /// in one transaction. Answers the cursors after the commit and how many readings the cloud newly covers.
    /// </summary>
    public async Task<(Dictionary<string, long> Cursors, int Covered)> UploadAsync(IReadOnlyList<ReadingsJournaled> groups,
        CancellationToken cancel)
    {
        var connection = Connection;
        var origins = groups.Select(g => g.OriginNode).Distinct().Order(StringComparer.Ordinal).ToArray();
        await using var tx = await connection.BeginTransactionAsync(cancel);

        // Lock every origin's cursor in one order, so two members uploading the same origin (a partition, a takeover
        // while the views differ) take turns instead of deadlocking, and the second sees what the first wrote.
        await using (var seed = new NpgsqlCommand(
                         "INSERT INTO edge_uplink_cursor (origin_node, highest_seq, updated_by) SELECT o, 0, @me FROM unnest(@origins) AS o " +
                         "ON CONFLICT (origin_node) DO NOTHING", connection, tx))
        {
            seed.Parameters.AddWithValue("me", uploader);
            seed.Parameters.AddWithValue("origins", origins);
            await seed.ExecuteNonQueryAsync(cancel);
        }
        var cursors = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var lockCmd = new NpgsqlCommand(
                         "SELECT origin_node, highest_seq FROM edge_uplink_cursor WHERE origin_node = ANY(@origins) ORDER BY origin_node FOR UPDATE",
                         connection, tx))
        {
            lockCmd.Parameters.AddWithValue("origins", origins);
            await using var reader = await lockCmd.ExecuteReaderAsync(cancel);
            while (await reader.ReadAsync(cancel)) cursors[reader.GetString(0)] = reader.GetInt64(1);
        }

        // The rows past each cursor: a run from cursor + 1 (the cursor only ever covers a prefix of an origin's stream).
        var rows = new List<JournaledReading>();
        var moved = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var cursor = moved.TryGetValue(group.OriginNode, out var m) ? m : cursors[group.OriginNode];
            var next = cursor + 1;
            foreach (var item in group.Readings)
            {
                if (item.OriginSeq < next) continue; // the cloud has it already
                if (item.OriginSeq != next) break;   // past a hole
                rows.Add(item);
                next++;
            }
            if (next - 1 > cursor) moved[group.OriginNode] = next - 1;
        }

        if (rows.Count > 0)
        {
            // Straight into the table: under the cursor locks no row past a cursor can be there already. Only a reading a
            // board sent to two members (same device and seq, two origins) can collide; then the batch goes through a
            // staging table and the copy the cloud already has is skipped.
            await using (var savepoint = new NpgsqlCommand("SAVEPOINT direct", connection, tx))
                await savepoint.ExecuteNonQueryAsync(cancel);
            try
            {
                await CopyAsync(connection, "sensor_readings", rows, cancel);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await using (var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT direct", connection, tx))
                    await rollback.ExecuteNonQueryAsync(cancel);
                await CopyAsync(connection, "uplink_staging", rows, cancel);
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO sensor_readings (" + CopyColumns + ") SELECT " + CopyColumns + " FROM uplink_staging " +
                    "ORDER BY origin_node, origin_seq ON CONFLICT DO NOTHING", connection, tx);
                await insert.ExecuteNonQueryAsync(cancel);
            }
            await using var advance = new NpgsqlCommand(
                "UPDATE edge_uplink_cursor AS c SET highest_seq = v.seq, updated_at = now(), updated_by = @me " +
                "FROM unnest(@origins, @seqs) AS v(origin, seq) WHERE c.origin_node = v.origin AND v.seq > c.highest_seq",
                connection, tx);
            advance.Parameters.AddWithValue("me", uploader);
            advance.Parameters.AddWithValue("origins", moved.Keys.ToArray());
            advance.Parameters.AddWithValue("seqs", moved.Values.ToArray());
            await advance.ExecuteNonQueryAsync(cancel);
        }
        await tx.CommitAsync(cancel);
        foreach (var (origin, seq) in moved) cursors[origin] = seq;
        return (cursors, rows.Count);
    }

    private const string CopyColumns = "device_id, timestamp, temperature, humidity, received_at, seq, origin_node, origin_seq";

    /// <summary>
    /// Binary COPY of the rows. The rows are written synchronously into Npgsql's buffer (an async call per value costs
    /// more than the value); the network writes happen as the buffer fills and at completion.
    /// </summary>
    private static async Task CopyAsync(NpgsqlConnection connection, string table, List<JournaledReading> rows, CancellationToken cancel)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY {table} ({CopyColumns}) FROM STDIN (FORMAT BINARY)", cancel);
        foreach (var item in rows)
        {
            var r = item.Reading;
            copy.StartRow();
            copy.Write(r.DeviceId, NpgsqlDbType.Integer);
            copy.Write(Utc(r.DeviceTimeMs), NpgsqlDbType.TimestampTz);
            copy.Write(r.Temperature, NpgsqlDbType.Double);
            copy.Write(r.Humidity, NpgsqlDbType.Double);
            copy.Write(Utc(r.ReceivedAtMs), NpgsqlDbType.TimestampTz);
            if (r.Seq is { } seq) copy.Write(seq, NpgsqlDbType.Bigint);
            else copy.WriteNull();
            copy.Write(item.OriginNode, NpgsqlDbType.Text);
            copy.Write(item.OriginSeq, NpgsqlDbType.Bigint);
        }
        cancel.ThrowIfCancellationRequested();
        await copy.CompleteAsync(cancel);
    }

    /// <summary>Inserts devices the cloud lacks and updates those that changed; an unchanged row is left untouched.</summary>
    public async Task UpsertDevicesAsync(IReadOnlyList<DeviceInfo> devices, CancellationToken cancel)
    {
        if (devices.Count == 0) return;
        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO devices (device_id, name, type, location, registered_at, interval_s)
            SELECT * FROM unnest(@ids, @names, @types, @locations, @registered, @intervals)
            ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, type = excluded.type, location = excluded.location,
                registered_at = excluded.registered_at, interval_s = excluded.interval_s
            WHERE (devices.name, devices.type, devices.location, devices.registered_at, devices.interval_s)
                IS DISTINCT FROM (excluded.name, excluded.type, excluded.location, excluded.registered_at, excluded.interval_s)
            """, Connection);
        cmd.Parameters.AddWithValue("ids", devices.Select(d => d.DeviceId).ToArray());
        cmd.Parameters.AddWithValue("names", devices.Select(d => d.Name).ToArray());
        cmd.Parameters.AddWithValue("types", devices.Select(d => d.Type).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter("locations", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { Value = devices.Select(d => d.Location).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("registered", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            { Value = devices.Select(d => Utc(d.RegisteredAtMs)).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter("intervals", NpgsqlDbType.Array | NpgsqlDbType.Integer)
            { Value = devices.Select(d => d.IntervalS).ToArray() });
        await cmd.ExecuteNonQueryAsync(cancel);
    }

    private static DateTime Utc(long unixMs) => DateTime.UnixEpoch.AddMilliseconds(unixMs);

    public ValueTask DisposeAsync() => new(DisconnectAsync());
}
