using EdgeCluster.Contracts;

namespace EdgeCluster.Storage;

/// <summary>The read model's tables, in the lab's shape, plus what replication and the projection need.</summary>
public static class ReadModelSchema
{
    /// <summary>How many origin seqs one origin has room for in a reading_id.</summary>
    public const long OriginSeqSpan = 1L << 40;

    public const string Tables =
        """
        CREATE TABLE IF NOT EXISTS devices (
            device_id     INTEGER PRIMARY KEY,
            name          TEXT NOT NULL,
            type          TEXT NOT NULL,
            location      TEXT,
            registered_at TEXT NOT NULL,
            -- how often the device reports, in seconds, when its registration said so
            interval_s    INTEGER,
            -- SHA-256 (hex) of the device's token; NULL for a device without one
            token_hash    TEXT);
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
        """ + DeviceTimeIndex + """
        CREATE UNIQUE INDEX IF NOT EXISTS ux_device_seq ON sensor_readings(device_id, seq)
            WHERE seq IS NOT NULL AND superseded = 0;
        -- Every device that has readings here, registered or not yet (the registry may lag the readings).
        CREATE TABLE IF NOT EXISTS reading_devices (device_id INTEGER PRIMARY KEY);
        -- The version vector: how far this member holds each origin's stream (always a prefix).
        CREATE TABLE IF NOT EXISTS origin_progress (
            origin_node TEXT PRIMARY KEY,
            highest_seq INTEGER NOT NULL);
        -- When this member last received a reading of each device (its own or replicated: the origin's received_at).
        CREATE TABLE IF NOT EXISTS device_seen (
            device_id        INTEGER PRIMARY KEY,
            last_received_at TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS projection_offsets (
            projection TEXT PRIMARY KEY,
            offset     INTEGER NOT NULL);
        """;

    /// <summary>
    /// The lab's (device_id, timestamp) index, carrying the values too, so that anomalies, quality and series read the
    /// index alone, in order, instead of visiting the table once per reading.
    /// </summary>
    public const string DeviceTimeIndex =
        "CREATE INDEX IF NOT EXISTS idx_device_timestamp ON sensor_readings(device_id, timestamp, superseded, temperature, humidity);";

    /// <summary>The columns every query of whole readings selects, in the order <see cref="ReadRow"/> reads them.</summary>
    public const string ReadingColumns =
        "reading_id, device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq";

    public static ReadingView ReadRow(Microsoft.Data.Sqlite.SqliteDataReader reader) =>
        new(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3),
            reader.GetDouble(4), reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetInt64(6),
            reader.GetString(7), reader.GetInt64(8));
}
