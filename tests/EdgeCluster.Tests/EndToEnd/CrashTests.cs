using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>The real node process, killed with SIGKILL while clients post: every acknowledged reading survives.</summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Devices = 4;
    private const int Clients = 16;

    [Fact]
    public async Task Every_acknowledged_reading_is_back_after_sigkill_and_restart()
    {
        using var dir = new TempDir();
        var port = 0;
        var acknowledged = new ConcurrentDictionary<(int Device, long Seq), bool>();

        using (var node = await NodeProcess.StartAsync(dir.Path, "crash-node"))
        {
            port = node.HttpPort;
            for (var d = 1; d <= Devices; d++)
            {
                var r = await node.Http.PostAsJsonAsync("/api/devices", new { device_id = d, name = $"ESP32_{d}" });
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            }

            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(c => PostUntilKilledAsync(node.Http, c, acknowledged, stop.Token)).ToArray();
            await Eventually.AssertAsync(() =>
            {
                Assert.True(acknowledged.Count >= 1500, $"only {acknowledged.Count} readings acknowledged so far");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(60));
            node.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }
        output.WriteLine($"{acknowledged.Count} readings acknowledged before SIGKILL");

        using var restarted = await NodeProcess.StartAsync(dir.Path, "crash-node", port);
        var stored = new HashSet<(int, long)>();
        for (var d = 1; d <= Devices; d++)
        {
            var list = await (await restarted.Http.GetAsync($"/api/readings/{d}?limit=10000")).ReadJsonAsync();
            foreach (var reading in list.GetProperty("readings").EnumerateArray())
                Assert.True(stored.Add((d, reading.GetProperty("seq").GetInt64())), $"device {d} seq stored twice");
        }
        var lost = acknowledged.Keys.Where(k => !stored.Contains(k)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged readings lost, e.g. {string.Join(", ", lost.Take(5))}");

        // The device actors rebuilt their seqs: a retry of an acknowledged reading is still a duplicate.
        var (device, seq) = acknowledged.Keys.First();
        var retry = await restarted.Http.PostAsJsonAsync("/api/reading", new { device_id = device, temperature = 20.0, humidity = 50, seq });
        Assert.True((await retry.ReadJsonAsync()).GetProperty("duplicate").GetBoolean());
    }

    private static async Task PostUntilKilledAsync(HttpClient http, int client, ConcurrentDictionary<(int, long), bool> acknowledged,
        CancellationToken stop)
    {
        var device = 1 + client % Devices;
        for (long i = 0; !stop.IsCancellationRequested; i++)
        {
            // Clients of one device use disjoint seq ranges; every fifth request is a small batch.
            var seq = client * 1_000_000L + i * 10;
            try
            {
                HttpResponseMessage response;
                if (i % 5 == 4)
                {
                    var batch = Enumerable.Range(0, 10).Select(k => new { device_id = device, temperature = 20.0, humidity = 50, seq = seq + k });
                    response = await http.PostAsJsonAsync("/api/readings/batch", batch, stop);
                    if (response.StatusCode == HttpStatusCode.OK)
                        for (var k = 0; k < 10; k++) acknowledged[(device, seq + k)] = true;
                }
                else
                {
                    response = await http.PostAsJsonAsync("/api/reading", new { device_id = device, temperature = 20.0, humidity = 50, seq }, stop);
                    if (response.StatusCode == HttpStatusCode.OK) acknowledged[(device, seq)] = true;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException)
            {
                return;
            }
        }
    }
}
