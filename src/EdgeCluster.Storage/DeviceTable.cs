using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>
/// The lab's <c>devices</c> table, this member's copy of the registry. Its one writer is the device's own
/// actor (a registration here, or a registry change from another member, both reach it); anyone reads.
/// </summary>
public sealed class DeviceTable(ReadModelDatabase db)
{
    /// <summary>Adds or changes a device, keeping the first registered_at; true when it was new.</summary>
    public bool Upsert(DeviceInfo device)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        using var exists = c.CreateCommand();
        exists.CommandText = "SELECT 1 FROM devices WHERE device_id = $id";
        exists.Parameters.AddWithValue("$id", device.DeviceId);
        var created = exists.ExecuteScalar() is null;
        using var upsert = c.CreateCommand();
        upsert.CommandText =
            """
            INSERT INTO devices (device_id, name, type, location, registered_at, interval_s, token_hash) VALUES ($id, $name, $type, $location, $registeredAt, $interval, $token)
            ON CONFLICT(device_id) DO UPDATE SET name = excluded.name, type = excluded.type, location = excluded.location, interval_s = excluded.interval_s,
                token_hash = excluded.token_hash
            """;
        upsert.Parameters.AddWithValue("$id", device.DeviceId);
        upsert.Parameters.AddWithValue("$name", device.Name);
        upsert.Parameters.AddWithValue("$type", device.Type);
        upsert.Parameters.AddWithValue("$location", (object?)device.Location ?? DBNull.Value);
        upsert.Parameters.AddWithValue("$registeredAt", TimeText.FromUnixMs(device.RegisteredAtMs));
        upsert.Parameters.AddWithValue("$interval", (object?)device.IntervalS ?? DBNull.Value);
        upsert.Parameters.AddWithValue("$token", (object?)device.TokenHash ?? DBNull.Value);
        upsert.ExecuteNonQuery();
        tx.Commit();
        return created;
    }

    public DeviceInfo? Get(int deviceId) => Query("WHERE device_id = $id", deviceId).FirstOrDefault();

    public IReadOnlyList<DeviceInfo> List() => Query("", null);

    /// <summary>The device whose token hashes to <paramref name="tokenHash"/>, or null.</summary>
    public DeviceInfo? FindByTokenHash(string tokenHash) =>
        List().FirstOrDefault(d => d.TokenHash is not null && string.Equals(d.TokenHash, tokenHash, StringComparison.Ordinal));

    /// <summary>The registered device of that name (the lab's MQTT publisher names devices, "sensor_room1"), or null.</summary>
    public DeviceInfo? FindByName(string name) =>
        List().FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));

    private List<DeviceInfo> Query(string where, int? deviceId)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT device_id, name, type, location, registered_at, interval_s, token_hash FROM devices {where} ORDER BY device_id";
        if (deviceId is { } id) cmd.Parameters.AddWithValue("$id", id);
        using var reader = cmd.ExecuteReader();
        var devices = new List<DeviceInfo>();
        while (reader.Read()) devices.Add(Read(reader));
        return devices;
    }

    private static DeviceInfo Read(SqliteDataReader reader) =>
        new(reader.GetInt32(0), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), TimeText.ToUnixMs(reader.GetString(4)), reader.IsDBNull(5) ? null : reader.GetInt32(5),
            reader.IsDBNull(6) ? null : reader.GetString(6));
}
