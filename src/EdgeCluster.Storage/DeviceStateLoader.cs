using EdgeCluster.Domain;

namespace EdgeCluster.Storage;

/// <summary>What a device actor needs at start: its entry, its highest seq and the seqs near it, its latest reading.</summary>
public sealed class DeviceStateLoader(ReadModelDatabase db, DeviceTable devices, ReadingQueries queries)
{
    public DeviceState Load(int deviceId)
    {
        var info = devices.Get(deviceId);
        using var c = db.Open();
        long? highest;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT MAX(seq) FROM sensor_readings WHERE device_id = $id AND seq IS NOT NULL AND superseded = 0";
            cmd.Parameters.AddWithValue("$id", deviceId);
            highest = cmd.ExecuteScalar() is long h ? h : null;
        }
        var recent = new List<long>();
        if (highest is { } top)
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT seq FROM sensor_readings WHERE device_id = $id AND seq > $floor AND superseded = 0";
            cmd.Parameters.AddWithValue("$id", deviceId);
            cmd.Parameters.AddWithValue("$floor", top - DeviceState.SeqWindow);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) recent.Add(reader.GetInt64(0));
        }
        var latest = queries.Readings(deviceId, 1, null, null).FirstOrDefault();
        Reading? latestReading = latest is null ? null : new Reading(latest.DeviceId, latest.Temperature, latest.Humidity,
            TimeText.ToUnixMs(latest.Timestamp), TimeText.ToUnixMs(latest.ReceivedAt), latest.Seq);
        return new DeviceState(deviceId, info, highest, recent, latestReading, seq => SeqStored(deviceId, seq));
    }

    /// <summary>Whether a seq older than the window a device actor keeps in memory is stored.</summary>
    public bool SeqStored(int deviceId, long seq)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM sensor_readings WHERE device_id = $id AND seq = $seq AND superseded = 0";
        cmd.Parameters.AddWithValue("$id", deviceId);
        cmd.Parameters.AddWithValue("$seq", seq);
        return cmd.ExecuteScalar() is not null;
    }
}
