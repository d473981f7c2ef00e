using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeCluster.Tests.Support;

/// <summary>A real node process (the built EdgeCluster.Node.dll) on loopback, as a user runs it.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private NodeProcess(Process process, int httpPort)
    {
        _process = process;
        HttpPort = httpPort;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int HttpPort { get; }
    public HttpClient Http { get; }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static Task<NodeProcess> StartAsync(string dataDir, string nodeName, int httpPort, params string[] extraArgs) =>
        StartAsync(dataDir, nodeName, httpPort, akkaPort: 0, extraArgs);

    public static async Task<NodeProcess> StartAsync(string dataDir, string nodeName, int httpPort, int akkaPort, params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     dll, "--node-name", nodeName, "--http-host", "127.0.0.1", "--http-port", httpPort.ToString(),
                     "--akka-host", "127.0.0.1", "--akka-port", akkaPort.ToString(), "--data-dir", dataDir,
                 }.Concat(extraArgs))
            info.ArgumentList.Add(arg);
        var node = new NodeProcess(Process.Start(info)!, httpPort);
        await node.WaitUntilServingAsync();
        return node;
    }

    private async Task WaitUntilServingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if ((await Http.GetAsync("/api/health")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"node did not serve within 60 s:\n{Log}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush; what was acknowledged must already be durable.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        Http.Dispose();
        _process.Dispose();
    }
}
