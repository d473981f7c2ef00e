using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

/// <summary>The uplink's benchmarks (bench/uplink.sh): how fast a backlog drains into the cloud, and the steady-state lag.</summary>
public static class UplinkBench
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// From the first reading the member uploads until the cloud holds <paramref name="readings"/> (the member's
    /// /api/uplink, polled every 100 ms): the backlog's upload rate.
    /// </summary>
    public static async Task<int> DrainAsync(string member, long readings)
    {
        var sw = Stopwatch.StartNew();
        double first = -1;
        while (sw.Elapsed < TimeSpan.FromMinutes(10))
        {
            var view = await Http.GetFromJsonAsync<JsonElement>($"{member}/api/uplink");
            var inCloud = view.GetProperty("origins").EnumerateArray().Sum(o => o.GetProperty("cloud").GetInt64());
            if (inCloud > 0 && first < 0) first = sw.Elapsed.TotalSeconds;
            if (inCloud >= readings)
            {
                var seconds = sw.Elapsed.TotalSeconds - first;
                Console.WriteLine($"uplink-drain readings={readings} seconds={seconds:F1} readings_per_s={readings / seconds:F0} (from the first uploaded batch)");
                return 0;
            }
            await Task.Delay(100);
        }
        Console.WriteLine("uplink-drain: the cloud did not catch up within 10 minutes");
        return 1;
    }

    /// <summary>
    /// One reading at a time: from the member's 200 to the row in the cloud (polled every 10 ms), p50/p99 over the samples.
    /// </summary>
    public static async Task<int> LagAsync(string member, string cloud, int samples)
    {
        await using var connection = new NpgsqlConnection(cloud);
        await connection.OpenAsync();
        await using var probe = new NpgsqlCommand("SELECT 1 FROM sensor_readings WHERE device_id = @d AND seq = @s", connection);
        var device = probe.Parameters.AddWithValue("d", 1);
        var seqParam = probe.Parameters.AddWithValue("s", 0L);
        var random = new Random(7);
        var lags = new List<double>();
        var seq = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < samples; i++)
        {
            var d = 1 + i % 100;
            seq++;
            var reply = await Http.PostAsJsonAsync($"{member}/api/reading", new { device_id = d, temperature = 21.0, humidity = 50.0, seq });
            reply.EnsureSuccessStatusCode();
            var acknowledged = Stopwatch.StartNew();
            device.Value = d;
            seqParam.Value = seq;
            while (await probe.ExecuteScalarAsync() is null)
            {
                if (acknowledged.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"reading {d}/{seq} not in the cloud after 60 s");
                await Task.Delay(10);
            }
            lags.Add(acknowledged.Elapsed.TotalMilliseconds);
            await Task.Delay(random.Next(0, 200));
        }
        lags.Sort();
        double At(double q) => lags[Math.Min(lags.Count - 1, (int)(q * lags.Count))];
        Console.WriteLine($"uplink-lag samples={samples} p50_ms={At(0.5):F0} p99_ms={At(0.99):F0} max_ms={lags[^1]:F0}");
        return 0;
    }
}
