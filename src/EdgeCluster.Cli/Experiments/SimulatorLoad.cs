using System.Diagnostics;
using System.Text.Json;

namespace EdgeCluster.Cli.Experiments;

/// <summary>What one edge-sim run said it generated, per device, and how it ended.</summary>
public sealed record SimulatorResult(string Transport, int ExitCode, IReadOnlyDictionary<int, long> Generated, string Output);

/// <summary>
/// The firmware's simulator (the C++ client core the boards run, built as firmware/build/edge-sim) posting through
/// the run: one process of boards over HTTP and, where the members speak MQTT, one over MQTT (QoS 1). The boards keep
/// what no member acknowledged and send it again, so at the end every reading they generated must be on every member
/// exactly once.
/// </summary>
public sealed class SimulatorLoad(string simulator, string dir, double rate)
{
    public const int HttpFirstDevice = 1;
    public const int MqttFirstDevice = 101;
    public const int Devices = 10;

    private readonly List<(string Transport, Process Process, string Report, Task<string> Output)> _runs = new();

    public void Start(IReadOnlyList<Lab.LabNode> nodes, double seconds)
    {
        Directory.CreateDirectory(dir);
        Run("http", string.Join(",", nodes.Select(n => $"http://{n.Http}")), HttpFirstDevice, seconds);
        if (nodes.All(n => n.MqttPort > 0))
            Run("mqtt", string.Join(",", nodes.Select(n => $"mqtt://127.0.0.1:{n.MqttPort}")), MqttFirstDevice, seconds);
    }

    /// <summary>The devices the boards post as, for the final reads.</summary>
    public IEnumerable<int> DeviceIds => _runs.SelectMany(r => Enumerable.Range(r.Transport == "mqtt" ? MqttFirstDevice : HttpFirstDevice, Devices));

    /// <summary>Waits for every board to have sent all it generated (the simulator drains its buffers, then exits).</summary>
    public async Task<IReadOnlyList<SimulatorResult>> FinishAsync(TimeSpan within)
    {
        var results = new List<SimulatorResult>();
        foreach (var (transport, process, report, output) in _runs)
        {
            using var timeout = new CancellationTokenSource(within);
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(); await process.WaitForExitAsync(); }
            var generated = new Dictionary<int, long>();
            if (File.Exists(report))
            {
                using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
                foreach (var d in json.RootElement.GetProperty("devices").EnumerateArray())
                    generated[d.GetProperty("device_id").GetInt32()] = d.GetProperty("generated").GetInt64();
            }
            results.Add(new SimulatorResult(transport, process.ExitCode, generated, Last(await output, 5)));
            process.Dispose();
        }
        return results;
    }

    private void Run(string transport, string members, int firstDevice, double seconds)
    {
        var report = Path.Combine(dir, $"sim-{transport}.json");
        var info = new ProcessStartInfo(simulator)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[.. transport == "mqtt" ? ["--mqtt"] : Array.Empty<string>(), "--members", members,
                     "--devices", Devices.ToString(), "--first-device", firstDevice.ToString(), "--rate", $"{rate}/s",
                     "--duration", $"{seconds:0}s", "--drain", "120s", "--buffer", "5000", "--timeout-ms", "2000", "--report", report])
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new CliException($"could not start {simulator}");
        var log = Path.Combine(dir, $"sim-{transport}.log");
        // stdout to a log as it comes (progress lines every 5 s); stderr kept for the report.
        var stdout = Task.Run(async () =>
        {
            await using var file = File.CreateText(log);
            while (await process.StandardOutput.ReadLineAsync() is { } line) await file.WriteLineAsync(line);
        });
        var stderr = process.StandardError.ReadToEndAsync();
        _runs.Add((transport, process, report, Task.WhenAll(stdout, stderr).ContinueWith(_ => File.ReadAllText(log) + stderr.Result)));
    }

    private static string Last(string text, int lines) => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
}
