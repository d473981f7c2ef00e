using System.Diagnostics;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The firmware's device simulator (the same C++ client core the boards run) posting to a real node
/// process that is killed with SIGKILL and restarted mid-run: every reading it generated is stored
/// exactly once.
/// </summary>
public sealed class SimulatorTests(ITestOutputHelper output)
{
    private const int Devices = 10;

    [Fact]
    public async Task Every_generated_reading_is_stored_exactly_once_across_a_member_crash()
    {
        using var dir = new TempDir();
        var port = NodeProcess.FreePort();
        var node = await NodeProcess.StartAsync(dir.Path, "sim-node", port, "--auto-register");
        var report = dir.File("sim-report.json");

        using var sim = Process.Start(new ProcessStartInfo(EdgeSimPath(),
        [
            "--members", $"http://127.0.0.1:{port}", "--devices", Devices.ToString(), "--rate", "10/s",
            "--duration", "12s", "--drain", "60s", "--timeout-ms", "2000", "--report", report,
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var simOutput = sim.StandardOutput.ReadToEndAsync();
        var simErrors = sim.StandardError.ReadToEndAsync();

        await Task.Delay(TimeSpan.FromSeconds(4));
        node.Kill();
        node.Dispose();
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var restarted = await NodeProcess.StartAsync(dir.Path, "sim-node", port, "--auto-register");

        await sim.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine(await simOutput);
        output.WriteLine(await simErrors);
        Assert.Equal(0, sim.ExitCode);

        using var reportJson = JsonDocument.Parse(await File.ReadAllTextAsync(report));
        Assert.True(reportJson.RootElement.GetProperty("replayed").GetInt32() > 0, "the crash should have made the simulator replay readings");
        foreach (var device in reportJson.RootElement.GetProperty("devices").EnumerateArray())
        {
            var id = device.GetProperty("device_id").GetInt32();
            var generated = device.GetProperty("generated").GetInt64();
            var list = await (await restarted.Http.GetAsync($"/api/readings/{id}?limit=10000")).ReadJsonAsync();
            var seqs = list.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();
            Assert.Equal(Enumerable.Range(1, (int)generated).Select(i => (long)i), seqs);
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
