using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The real node process killed with SIGKILL in the middle of a retention run: after a restart and another run, every
/// reading it ever acknowledged is either still raw or in the archive, and the daily figures are what they were.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class RetentionCrashTests(ITestOutputHelper output)
{
    private const int Devices = 5;
    private static readonly string[] Retention = ["--auto-register", "--retention", "hot=24h,warm=3d,cold=30d,archive=parquet,every=1h"];

    [Fact]
    public async Task A_run_killed_half_way_loses_no_reading_and_counts_none_twice()
    {
        using var dir = new TempDir();
        var now = DateTimeOffset.UtcNow;
        var posted = new HashSet<(int Device, long Seq)>();
        var daily = new Dictionary<int, string>();
        int port;
        using (var node = await NodeProcess.StartAsync(dir.Path, "crash-node", 0, 0, Retention))
        {
            port = node.HttpPort;
            // Ten days of five boards every 40 s: about 108,000 readings, six chunks of expiry.
            var seq = 0L;
            var batch = new List<object>();
            for (var t = now.AddDays(-10); t < now.AddMinutes(-1); t = t.AddSeconds(40))
            {
                for (var device = 1; device <= Devices; device++)
                {
                    batch.Add(new { device_id = device, temperature = 15 + (seq % 97) / 10.0, humidity = 50, seq = ++seq, timestamp = t.ToUnixTimeMilliseconds() });
                    posted.Add((device, seq));
                }
                if (batch.Count < 5000) continue;
                Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = batch })).StatusCode);
                batch.Clear();
            }
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = batch })).StatusCode);
            for (var device = 1; device <= Devices; device++)
                daily[device] = (await (await node.Http.GetAsync($"/api/stats/{device}?period=daily&days=11")).ReadJsonAsync()).ToString();

            // Start a run and kill the node once its first chunks are gone from the raw tier.
            var run = node.Http.PostAsync("/api/admin/retention/run", null);
            await Eventually.AssertAsync(async () =>
            {
                var raw = (await (await node.Http.GetAsync("/api/storage")).ReadJsonAsync()).GetProperty("tiers")[0].GetProperty("rows").GetInt64();
                Assert.True(raw < posted.Count, "no chunk expired yet");
            }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
            node.Kill();
            try { await run; } catch (HttpRequestException) { }
            var files = Directory.EnumerateFiles(Path.Combine(dir.Path, "archive"), "*", SearchOption.AllDirectories).Count();
            output.WriteLine($"{posted.Count} readings posted; killed with {files} archive files written");
            // Six chunks make a whole run: the kill came in the middle of it.
            Assert.InRange(files, 1, 5);
        }

        using var restarted = await NodeProcess.StartAsync(dir.Path, "crash-node", port, 0, Retention);
        // The run at start (or this one, which waits for it) finishes what the killed run began.
        var second = await (await restarted.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
        output.WriteLine($"run after the restart: {second}");
        var rawLeft = (await (await restarted.Http.GetAsync("/api/storage")).ReadJsonAsync()).GetProperty("tiers")[0].GetProperty("rows").GetInt64();
        Assert.InRange(rawLeft, posted.Count / 10 - 2 * Devices * 3, posted.Count / 10 + 2 * Devices * 3);

        for (var device = 1; device <= Devices; device++)
            Assert.Equal(daily[device], (await (await restarted.Http.GetAsync($"/api/stats/{device}?period=daily&days=11")).ReadJsonAsync()).ToString());
        var held = new HashSet<(int, long)>();
        for (var device = 1; device <= Devices; device++)
        {
            var raw = await (await restarted.Http.GetAsync($"/api/readings/{device}?limit=10000")).ReadJsonAsync();
            foreach (var r in raw.GetProperty("readings").EnumerateArray()) Assert.True(held.Add((device, r.GetProperty("seq").GetInt64())));
        }
        var archived = await ArchiveReader.ReadAsync(Path.Combine(dir.Path, "archive"));
        foreach (var a in archived) held.Add((a.DeviceId, a.Seq));
        var lost = posted.Except(held).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} readings neither raw nor archived, e.g. {string.Join(", ", lost.Take(5))}");
        // A chunk archived but not yet deleted when the node died is archived again: its rows appear twice, never missing.
        output.WriteLine($"{archived.Count - archived.Select(a => a.ReadingId).Distinct().Count()} archived rows written twice");
    }
}
