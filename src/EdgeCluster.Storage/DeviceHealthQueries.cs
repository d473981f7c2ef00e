using System.Collections.Concurrent;
using EdgeCluster.Domain;
using Microsoft.Data.Sqlite;
using EdgeCluster.Domain.Analytics;

namespace EdgeCluster.Storage;

/// <summary>A device's health on this member: when it was last seen, its expected interval (registered or learned), its status.</summary>
public sealed record DeviceHealthView(int DeviceId, string? LastSeen, int? IntervalS, string Status);

/// <summary>Reads what device health needs: last seen (device_seen) and the recent readings' gaps (through the index).</summary>
public sealed class DeviceHealthQueries(ReadModelDatabase db)
{
    /// <summary>How many recent readings the learned interval is the median gap of.</summary>
    public const int LearnFrom = 21;

    // The interval learned from each device's recent readings, and the last-seen it was learned at: it changes only when
    // the device reports again, so a round over every device reads a device's recent readings only when it has.
    private readonly ConcurrentDictionary<int, (string LastSeen, long? IntervalMs)> _learned = new();

    /// <param name="droppedAtMs">When the device's connection last dropped uncleanly (MQTT), if it did.</param>
    public DeviceHealthView Of(DeviceInfo device, long nowMs, long? droppedAtMs = null)
    {
        using var c = db.Open();
        using var seen = c.CreateCommand();
        seen.CommandText = "SELECT last_received_at FROM device_seen WHERE device_id = $id";
        seen.Parameters.AddWithValue("$id", device.DeviceId);
        return View(c, device, seen.ExecuteScalar() as string, nowMs, droppedAtMs);
    }

    /// <summary>Every device's health, their last-seen read in one query (what a round over all devices asks).</summary>
    public IReadOnlyList<DeviceHealthView> Of(IEnumerable<DeviceInfo> devices, long nowMs, Func<int, long?> droppedAtMs)
    {
        using var c = db.Open();
        var lastSeen = new Dictionary<int, string>();
        using (var seen = c.CreateCommand())
        {
            seen.CommandText = "SELECT device_id, last_received_at FROM device_seen";
            using var r = seen.ExecuteReader();
            while (r.Read()) lastSeen[r.GetInt32(0)] = r.GetString(1);
        }
        return devices.Select(d => View(c, d, lastSeen.GetValueOrDefault(d.DeviceId), nowMs, droppedAtMs(d.DeviceId))).ToList();
    }

    private DeviceHealthView View(SqliteConnection c, DeviceInfo device, string? lastSeen, long nowMs, long? droppedAtMs)
    {
        long? intervalMs = device.IntervalS * 1000L;
        if (intervalMs is null && lastSeen is not null)
        {
            if (_learned.TryGetValue(device.DeviceId, out var learned) && learned.LastSeen == lastSeen) intervalMs = learned.IntervalMs;
            else
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
                _learned[device.DeviceId] = (lastSeen, intervalMs);
            }
        }
        var status = DeviceHealth.Status(lastSeen is null ? null : TimeText.ToUnixMs(lastSeen), intervalMs, nowMs, droppedAtMs);
        return new DeviceHealthView(device.DeviceId, lastSeen, intervalMs is { } ms ? (int)Math.Max(1, ms / 1000) : null, status);
    }
}
