using System.Diagnostics;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The firmware's device simulator (the same C++ client core the boards run) posting to a cluster of
/// three real node processes, one of which is killed with SIGKILL and restarted mid-run: every
/// reading it generated is stored exactly once, on every member.
/// </summary>
[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class SimulatorTests(ITestOutputHelper output)
{
    private const int Devices = 10;

    [Fact]
    public async Task Every_generated_reading_is_stored_exactly_once_on_every_member_across_a_member_crash()
    {
        using var dir = new TempDir();
        var http = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).ToArray();
        var akka = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).ToArray();
        var seeds = string.Join(",", akka.Select(p => $"127.0.0.1:{p}"));
        Task<NodeProcess> Start(int i) => NodeProcess.StartAsync(Path.Combine(dir.Path, $"m{i}"), $"m{i}", http[i], akka[i],
            "--seeds", seeds, "--auto-register", "--replication-interval-ms", "200");
        var nodes = new NodeProcess?[3];
        var report = dir.File("sim-report.json");
        try
        {
            for (var i = 0; i < 3; i++) nodes[i] = await Start(i);

            using var sim = Process.Start(new ProcessStartInfo(EdgeSimPath(),
            [
                "--members", string.Join(",", http.Select(p => $"http://127.0.0.1:{p}")), "--devices", Devices.ToString(),
                "--rate", "10/s", "--duration", "12s", "--drain", "60s", "--timeout-ms", "2000", "--report", report,
            ])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var simOutput = sim.StandardOutput.ReadToEndAsync();
            var simErrors = sim.StandardError.ReadToEndAsync();

            await Task.Delay(TimeSpan.FromSeconds(4));
            nodes[1]!.Kill();
            await Task.Delay(TimeSpan.FromSeconds(2));
            nodes[1]!.Dispose();
            nodes[1] = await Start(1);

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
                foreach (var node in nodes)
                foreach (var (id, count) in generated)
                {
                    var list = await (await node!.Http.GetAsync($"/api/readings/{id}?limit=10000")).ReadJsonAsync();
                    var seqs = list.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();
                    var missing = Enumerable.Range(1, (int)count).Select(i => (long)i).Except(seqs).ToList();
                    Assert.True(missing.Count == 0 && seqs.Count == count,
                        $"{node.HttpPort}: device {id} has {seqs.Count} of {count} readings; missing {string.Join(",", missing)}; " +
                        (await (await node.Http.GetAsync("/api/cluster")).Content.ReadAsStringAsync()));
                }
            }, TimeSpan.FromSeconds(60));
        }
        finally
        {
            foreach (var node in nodes) node?.Dispose();
        }
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
