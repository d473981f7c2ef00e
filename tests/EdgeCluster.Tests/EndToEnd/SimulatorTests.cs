using System.Diagnostics;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The firmware's device simulator (the same C++ client core the boards run) posting to a cluster of
/// three real node processes, over HTTP or over MQTT (QoS 1, libmosquitto), one of which is killed with SIGKILL and
/// restarted mid-run: every reading it generated is stored exactly once, on every member.
/// </summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class SimulatorTests(ITestOutputHelper output)
{
    private const int Devices = 10;

    [Theory]
    [InlineData("http")]
    [InlineData("mqtt")]
    public async Task Every_generated_reading_is_stored_exactly_once_on_every_member_across_a_member_crash(string transport)
    {
        var mqtt = Enumerable.Range(0, 3).Select(_ => FreePort.Next()).ToArray();
        using var cluster = await ProcessCluster.StartAsync(3, "m", i => transport == "mqtt" ? ["--mqtt-port", mqtt[i].ToString()] : [],
            "--auto-register", "--replication-interval-ms", "200");
        var report = cluster.File("sim-report.json");
        var members = transport == "mqtt"
            ? mqtt.Select(p => $"mqtt://127.0.0.1:{p}")
            : cluster.HttpPorts.Select(p => $"http://127.0.0.1:{p}");
        using var sim = Process.Start(new ProcessStartInfo(EdgeSimPath(),
        [
            "--members", string.Join(",", members), "--devices", Devices.ToString(),
            "--rate", "10/s", "--duration", "12s", "--drain", "60s", "--timeout-ms", "2000", "--report", report,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var simOutput = sim.StandardOutput.ReadToEndAsync();
        var simErrors = sim.StandardError.ReadToEndAsync();

        // Kill m1 once the boards post to it, restart it once the others have taken readings while it was down.
        await Eventually.AssertAsync(async () => Assert.True(await CountAsync(cluster[1]) >= 20, "m1 has too few readings yet"),
            TimeSpan.FromSeconds(30));
        cluster.Kill(1);
        var atKill = await CountAsync(cluster[0]);
        await Eventually.AssertAsync(async () => Assert.True(await CountAsync(cluster[0]) >= atKill + 20, "the boards did not fail over"),
            TimeSpan.FromSeconds(30));
        await cluster.RestartAsync(1);

        await sim.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(await simOutput);
        output.WriteLine(await simErrors);
        Assert.Equal(0, sim.ExitCode);

        using var reportJson = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        Assert.True(reportJson.RootElement.GetProperty("replayed").GetInt32() > 0, "the crash should have made the simulator replay readings");
        var generated = reportJson.RootElement.GetProperty("devices").EnumerateArray()
            .ToDictionary(d => d.GetProperty("device_id").GetInt32(), d => d.GetProperty("generated").GetInt64());
        await Eventually.AssertAsync(async () =>
        {
            Assert.Equal(3, cluster.Running.Count());
            foreach (var node in cluster.Running)
            foreach (var (id, count) in generated)
            {
                var list = await (await node.Http.GetAsync($"/api/readings/{id}?limit=10000")).ReadJsonAsync();
                var seqs = list.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();
                var missing = Enumerable.Range(1, (int)count).Select(i => (long)i).Except(seqs).ToList();
                Assert.True(missing.Count == 0 && seqs.Count == count,
                    $"{node.HttpPort}: device {id} has {seqs.Count} of {count} readings; missing {string.Join(",", missing)}; " +
                    (await (await node.Http.GetAsync("/api/cluster")).Content.ReadAsStringAsync()));
            }
        }, TimeSpan.FromSeconds(60));
    }

    /// <summary>How many readings a member holds, over all the simulated devices.</summary>
    private static async Task<int> CountAsync(NodeProcess node)
    {
        var total = 0;
        for (var device = 1; device <= Devices; device++)
        {
            var response = await node.Http.GetAsync($"/api/readings/{device}?limit=10000");
            if (response.IsSuccessStatusCode) total += (await response.ReadJsonAsync()).GetProperty("count").GetInt32();
        }
        return total;
    }

    /// <summary>The simulator built by test.sh (cmake in firmware/build), or the one EDGE_SIM names.</summary>
    private static string EdgeSimPath()
    {
        var configured = Environment.GetEnvironmentVariable("EDGE_SIM");
        if (!string.IsNullOrEmpty(configured)) return configured;
        var path = Repository.File("firmware", "build", "edge-sim");
        Assert.True(File.Exists(path), $"edge-sim not found at '{path}': build it with ./test.sh or cmake in firmware/");
        return path;
    }
}
