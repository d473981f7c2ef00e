using EdgeCluster.Domain;
using EdgeCluster.Domain.Analytics;

namespace EdgeCluster.Storage;

/// <summary>A device's health on this member: when it was last seen, its expected interval (registered or learned), its status.</summary>
public sealed record DeviceHealthView(int DeviceId, string? LastSeen, int? IntervalS, string Status);

/// <summary>Reads what device health needs: last seen (device_seen) and the recent readings' gaps (through the index).</summary>
public sealed class DeviceHealthQueries(ReadModelDatabase db)
{
    /// <summary>How many recent readings the learned interval is the median gap of.</summary>
    public const int LearnFrom = 21;

    /// <param name="droppedAtMs">When the device's connection last dropped uncleanly (MQTT), if it did.</param>
    public DeviceHealthView Of(DeviceInfo device, long nowMs, long? droppedAtMs = null)
    {
        using var c = db.Open();
        using var seen = c.CreateCommand();
        seen.CommandText = "SELECT last_received_at FROM device_seen WHERE device_id = $id";
        seen.Parameters.AddWithValue("$id", device.DeviceId);
        var lastSeen = seen.ExecuteScalar() as string;

        long? intervalMs = device.IntervalS * 1000L;
        if (intervalMs is null && lastSeen is not null)
        {
            using var recent = c.CreateCommand();
            recent.CommandText = "SELECT timestamp FROM sensor_readings WHERE device_id = $id AND superseded = 0 ORDER BY timestamp DESC LIMIT $n";
            recent.Parameters.AddWithValue("$id", device.DeviceId);
            recent.Parameters.AddWithValue("$n", LearnFrom);
            var times = new List<long>();
            using (var r = recent.ExecuteReader())
                while (r.Read()) times.Add(TimeText.ToUnixMs(r.GetString(0)));
            times.Reverse();
            intervalMs = DeviceHealth.LearnedIntervalMs(times);
        }
        var status = DeviceHealth.Status(lastSeen is null ? null : TimeText.ToUnixMs(lastSeen), intervalMs, nowMs, droppedAtMs);
        return new DeviceHealthView(device.DeviceId, lastSeen, intervalMs is { } ms ? (int)Math.Max(1, ms / 1000) : null, status);
    }
}
