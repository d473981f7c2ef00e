using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

/// <summary>Replication benchmarks against running nodes over HTTP; bench/cluster.sh starts the nodes.</summary>
public static class ClusterBench
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>Posts N readings to one member in batches, spread over 100 devices, each with its own seq.</summary>
    public static async Task<int> LoadAsync(string member, long readings, int batch, double spreadDays = 0)
    {
        var sw = Stopwatch.StartNew();
        var seqs = new long[101];
        // With a spread, device times run evenly from spreadDays ago to now (a month of history for the dashboard);
        // without one the readings carry no timestamp (received now).
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var step = spreadDays * 86_400_000 / readings;
        for (long sent = 0; sent < readings; sent += batch)
        {
            var n = (int)Math.Min(batch, readings - sent);
            var first = sent;
            var items = Enumerable.Range(0, n).Select(i =>
            {
                var device = 1 + (int)((first + i) % 100);
                long? at = spreadDays > 0 ? now - (long)((readings - first - i) * step) : null;
                return new { device_id = device, temperature = 20.0 + 2 * Math.Sin((first + i) / 7_000.0) + i % 7 * 0.1, humidity = 50.0, seq = ++seqs[device], timestamp = at };
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
    /// <summary>
    /// Boards posting as a lab's do: each its own device, one reading every 1/rate s, waiting for its answer; the
    /// latency of every post and how many were not 2xx.
    /// </summary>
    public static async Task<int> BoardsAsync(string member, int boards, double rate, int seconds, int firstDevice)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var refused = 0;
        var until = DateTime.UtcNow.AddSeconds(seconds);
        await Task.WhenAll(Enumerable.Range(firstDevice, boards).Select(async device =>
        {
            var seq = DateTime.UtcNow.Ticks / 10_000;
            var next = Stopwatch.GetTimestamp();
            while (DateTime.UtcNow < until)
            {
                var sw = Stopwatch.StartNew();
                using var response = await Http.PostAsJsonAsync($"{member}/api/reading", new { device_id = device, temperature = 20.0, humidity = 50.0, seq = ++seq });
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode) Interlocked.Increment(ref refused);
                next += (long)(Stopwatch.Frequency / rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
            }
        }));
        var sorted = latencies.Order().ToList();
        Console.WriteLine($"boards={boards} rate={rate}/s posts={sorted.Count} refused={refused} p50_ms={sorted[sorted.Count / 2]:F1} " +
                          $"p99_ms={sorted[(int)(sorted.Count * 0.99)]:F1} max_ms={sorted[^1]:F1}");
        return 0;
    }

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

    /// <summary>Strong writes one after another on one member (each acknowledged once a majority has it): latency p50/p99.</summary>
    public static async Task<int> StrongAsync(string member, int samples)
    {
        const int device = 102;  // a device of its own: the load scripts use 1..100, visibility 101
        var times = new List<double>();
        for (var i = 0; i < samples + 20; i++)
        {
            var sw = Stopwatch.StartNew();
            var response = await Http.PostAsJsonAsync($"{member}/api/reading?consistency=strong",
                new { device_id = device, temperature = 20.0, humidity = 50.0, seq = DateTime.UtcNow.Ticks });
            response.EnsureSuccessStatusCode();
            if (i >= 20) times.Add(sw.Elapsed.TotalMilliseconds);  // the first 20 warm the connections up
        }
        times.Sort();
        Console.WriteLine($"strong writes samples={samples} p50_ms={times[samples / 2]:F1} p99_ms={times[(int)(samples * 0.99)]:F1} max_ms={times[^1]:F1}");
        return 0;
    }

    /// <summary>
    /// Submits N equal tasks over the members with C in flight, then waits until the coordinator
    /// counts them completed: tasks/s, submit-to-result latency, and fairness (max/min tasks per worker).
    /// </summary>
    public static async Task<int> InferenceAsync(string[] members, int tasks, int concurrency)
    {
        var before = await Http.GetFromJsonAsync<JsonElement>($"{members[0]}/api/inference/stats");
        var completedBefore = before.GetProperty("completed_tasks").GetInt64();
        var perWorkerBefore = before.GetProperty("workers").EnumerateArray()
            .ToDictionary(w => w.GetProperty("worker_id").GetString()!, w => w.GetProperty("completed").GetInt32());
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < tasks)
            {
                var t = Stopwatch.StartNew();
                var response = await Http.PostAsJsonAsync($"{members[i % members.Length]}/api/inference?wait=30s",
                    new { model_type = "anomaly", device_id = 1 + i % 100 });
                response.EnsureSuccessStatusCode();
                latencies.Add(t.Elapsed.TotalMilliseconds);
            }
        }));
        var seconds = sw.Elapsed.TotalSeconds;
        var after = await Http.GetFromJsonAsync<JsonElement>($"{members[0]}/api/inference/stats");
        var perWorker = after.GetProperty("workers").EnumerateArray()
            .Select(w => w.GetProperty("completed").GetInt32() - perWorkerBefore.GetValueOrDefault(w.GetProperty("worker_id").GetString()!, 0))
            .ToList();
        var sorted = latencies.Order().ToList();
        Console.WriteLine($"inference tasks={tasks} concurrency={concurrency} seconds={seconds:F1} tasks_per_s={tasks / seconds:F0} " +
                          $"submit_to_result_p50_ms={sorted[sorted.Count / 2]:F1} p99_ms={sorted[(int)(sorted.Count * 0.99)]:F1} " +
                          $"completed={after.GetProperty("completed_tasks").GetInt64() - completedBefore} " +
                          $"per_worker=[{string.Join(",", perWorker)}] fairness_max_over_min={(double)perWorker.Max() / Math.Max(1, perWorker.Min()):F3} " +
                          $"submit_to_assignment_p50_ms={after.GetProperty("submit_to_assignment_ms").GetProperty("p50").GetDouble():F1} " +
                          $"p99_ms={after.GetProperty("submit_to_assignment_ms").GetProperty("p99").GetDouble():F1} (coordinator's clock, last 10,000 tasks)");
        return 0;
    }

    /// <summary>After the coordinator's member was killed: seconds until a member answers with a coordinator elsewhere.</summary>
    public static async Task<int> CoordinatorFailoverAsync(string member, string oldCoordinator)
    {
        // A probe every 100 ms, each on its own: a probe asked while no coordinator exists waits out the member's ask
        // timeout (5 s), so probing one after another would measure in steps of that timeout.
        var sw = Stopwatch.StartNew();
        var answered = new TaskCompletionSource<(double Seconds, string Coordinator)>();
        async Task ProbeAsync()
        {
            try
            {
                var response = await Http.GetAsync($"{member}/api/inference/stats");
                if (!response.IsSuccessStatusCode) return;
                var stats = await response.Content.ReadFromJsonAsync<JsonElement>();
                var now = stats.GetProperty("coordinator").GetString();
                if (now != oldCoordinator && stats.GetProperty("alive_workers").GetInt32() > 0)
                    answered.TrySetResult((sw.Elapsed.TotalSeconds, now!));
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        while (sw.Elapsed < TimeSpan.FromMinutes(2) && !answered.Task.IsCompleted)
        {
            _ = ProbeAsync();
            await Task.Delay(100);
        }
        if (answered.Task.IsCompleted)
        {
            var (seconds, coordinator) = await answered.Task;
            Console.WriteLine($"failover seconds_without_coordinator={seconds:F1} new_coordinator={coordinator}");
            return 0;
        }
        Console.WriteLine("failover: no new coordinator within 2 minutes");
        return 1;
    }
}
