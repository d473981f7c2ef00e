using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

/// <summary>Replication benchmarks against running nodes over HTTP; bench/cluster.sh starts the nodes.</summary>
public static class ClusterBench
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Posts N readings to one member in batches, spread over 100 devices, each with its own seq.</summary>
    public static async Task<int> LoadAsync(string member, long readings, int batch)
    {
        var sw = Stopwatch.StartNew();
        var seqs = new long[101];
        for (long sent = 0; sent < readings; sent += batch)
        {
            var n = (int)Math.Min(batch, readings - sent);
            var items = Enumerable.Range(0, n).Select(i =>
            {
                var device = 1 + (int)((sent + i) % 100);
                return new { device_id = device, temperature = 20.0 + i % 7, humidity = 50.0, seq = ++seqs[device] };
            });
            var response = await Http.PostAsJsonAsync($"{member}/api/readings/batch", new { readings = items });
            response.EnsureSuccessStatusCode();
        }
        Console.WriteLine($"load readings={readings} seconds={sw.Elapsed.TotalSeconds:F1} readings_per_s={readings / sw.Elapsed.TotalSeconds:F0}");
        return 0;
    }

    /// <summary>Time from now until the member's version vector holds N readings in all (polled every 100 ms).</summary>
    public static async Task<int> CatchUpAsync(string member, long readings)
    {
        var sw = Stopwatch.StartNew();
        double firstSeen = -1;
        while (sw.Elapsed < TimeSpan.FromMinutes(10))
        {
            long held = 0;
            try
            {
                var view = await Http.GetFromJsonAsync<JsonElement>($"{member}/api/cluster");
                held = view.GetProperty("version_vector").EnumerateObject().Sum(o => o.Value.GetProperty("highest").GetInt64());
            }
            catch (HttpRequestException) { }
            if (held > 0 && firstSeen < 0) firstSeen = sw.Elapsed.TotalSeconds;
            if (held >= readings)
            {
                var seconds = sw.Elapsed.TotalSeconds - firstSeen;
                Console.WriteLine($"catchup readings={readings} seconds={seconds:F1} readings_per_s={readings / seconds:F0} (from the first pulled reading)");
                return 0;
            }
            await Task.Delay(100);
        }
        Console.WriteLine("catchup did not finish within 10 minutes");
        return 1;
    }

    /// <summary>
    /// Acknowledgment on one member to visibility on every member: posts one reading at a time
    /// (round-robin over members) and polls the others until each returns it.
    /// </summary>
    public static async Task<int> VisibilityAsync(string[] members, int samples)
    {
        var times = new List<double>();
        const int device = 101;  // a device of its own: the load scripts use 1..100
        for (var i = 0; i < samples; i++)
        {
            var seq = DateTime.UtcNow.Ticks;
            var to = members[i % members.Length];
            var response = await Http.PostAsJsonAsync($"{to}/api/reading", new { device_id = device, temperature = 20.0, humidity = 50.0, seq });
            response.EnsureSuccessStatusCode();
            var sw = Stopwatch.StartNew();
            foreach (var other in members.Where(m => m != to))
            {
                while (true)
                {
                    var answer = await Http.GetAsync($"{other}/api/readings/{device}?limit=1");
                    if (answer.IsSuccessStatusCode)
                    {
                        var latest = await answer.Content.ReadFromJsonAsync<JsonElement>();
                        if (latest.GetProperty("count").GetInt32() > 0 &&
                            latest.GetProperty("readings")[0].TryGetProperty("seq", out var shown) && shown.GetInt64() == seq) break;
                    }
                    await Task.Delay(5);
                }
            }
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"visibility members={members.Length} samples={samples} p50_ms={times[samples / 2]:F0} p99_ms={times[(int)(samples * 0.99)]:F0} max_ms={times[^1]:F0}");
        return 0;
    }
}
