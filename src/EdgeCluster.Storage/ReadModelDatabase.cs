using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>The read model file was written by another layout of EdgeCluster.</summary>
public sealed class StoreVersionException(string message) : Exception(message);

/// <summary>
/// The read model's SQLite file: its connections, its pragmas and its layout. One writer connection is
/// kept for the store's life (the read-model writer actor is its only user); every reader opens a pooled
/// connection of its own, so HTTP queries never wait on an actor.
/// </summary>
public sealed class ReadModelDatabase : IDisposable
{
    /// <summary>The read model's layout; a file of a newer or unknown layout is refused rather than half-used.</summary>
    public const int SchemaVersion = 5;

    private readonly string _connectionString;
    private const int DefaultTimeoutSeconds = 30;

    public ReadModelDatabase(string path, bool synchronousFull = false)
    {
        Path = path;
        SynchronousFull = synchronousFull;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = DefaultTimeoutSeconds,
        }.ToString();

        Writer = Open();
        // The read model can be rebuilt from the journal, so NORMAL is safe here: a write lost
        // to a power cut rolls back with its projection offset and is replayed at start.
        // busy_timeout: SQLite itself waits for a lock another connection holds (a statement bound on the raw handle, see
        // RawStatement, has no Microsoft.Data.Sqlite retry loop around it), as long as a command would.
        Execute(Writer, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(synchronousFull ? "FULL" : "NORMAL")}; PRAGMA busy_timeout={DefaultTimeoutSeconds * 1000};");
        var version = CheckSchemaVersion();
        Execute(Writer, ReadModelSchema.Tables + Rollups.Tables);
        if (version == 1) MigrateFrom1();
        if (version is 1 or 2) MigrateTo3();
        if (version == 3) MigrateTo4();
        if (version is 1 or 2 or 3 or 4) MigrateTo5();
        Execute(Writer, $"PRAGMA user_version = {SchemaVersion}");
    }

    public string Path { get; }

    /// <summary>Whether every commit on the writer connection fsyncs (otherwise only durable applies do).</summary>
    public bool SynchronousFull { get; }

    /// <summary>The one connection that writes; used by one writer at a time.</summary>
    public SqliteConnection Writer { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>A command on the writer connection, kept by its owner for the store's life.</summary>
    public SqliteCommand PrepareWriter(string sql)
    {
        var command = Writer.CreateCommand();
        command.CommandText = sql;
        return command;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Layout 1 to 2: the devices' reporting interval, and when each device was last seen (filled from the readings once).</summary>
    private void MigrateFrom1()
    {
        using var tx = Writer.BeginTransaction();
        using var cmd = Writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText =
            """
            ALTER TABLE devices ADD COLUMN interval_s INTEGER;
            INSERT OR REPLACE INTO device_seen (device_id, last_received_at)
                SELECT device_id, MAX(received_at) FROM sensor_readings GROUP BY device_id;
            """;
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>
    /// Layout 3: the rollups, built once from the readings held (nothing has expired before layout 3), and the
    /// (device_id, timestamp) index carrying the values.
    /// </summary>
    private void MigrateTo3()
    {
        using var tx = Writer.BeginTransaction();
        using var cmd = Writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"DELETE FROM rollups; INSERT INTO rollups (device_id, bucket, {Rollups.Columns}) SELECT * FROM ({Rollups.AggregateSql("1")}) WHERE true;"
                          + "DROP INDEX idx_device_timestamp; " + ReadModelSchema.DeviceTimeIndex;
        cmd.Parameters.AddWithValue("$folded", "");
        cmd.ExecuteNonQuery();
        tx.Commit();
    }

    /// <summary>
    /// Layout 4: each hourly rollup knows its longest gap between readings. Buckets from before do not (NULL): data quality
    /// reads their raw readings, as it read every reading before.
    /// </summary>
    private void MigrateTo4() => Execute(Writer, "ALTER TABLE rollups ADD COLUMN max_gap_ms INTEGER");

    /// <summary>Layout 5: a device's token hash. Devices registered before have none (as auto-registered ones) until it is rotated.</summary>
    private void MigrateTo5() => Execute(Writer, "ALTER TABLE devices ADD COLUMN token_hash TEXT");

    private long CheckSchemaVersion()
    {
        using var cmd = Writer.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        var version = (long)cmd.ExecuteScalar()!;
        cmd.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sensor_readings'";
        var hasReadings = (long)cmd.ExecuteScalar()! > 0;
        if (version is SchemaVersion or 1 or 2 or 3 or 4 || (version == 0 && !hasReadings)) return version;
        throw new StoreVersionException(
            $"read model '{Path}' has layout {version}, this node writes layout {SchemaVersion}: stop the node, move the file away " +
            "and start again; it is rebuilt from the journal, and other members' readings are pulled again");
    }

    public void Dispose() => Writer.Dispose();
}
