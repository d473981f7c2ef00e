using System.Diagnostics;
using System.Text;

namespace EdgeCluster.Tests.Support;

/// <summary>A real node process (the built EdgeCluster.Node.dll) on loopback, as a user runs it.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private NodeProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The node's name (--node-name).</summary>
    public string Name { get; }

    /// <summary>The HTTP port the node bound (the one asked for, or the one the OS chose for port 0).</summary>
    public int HttpPort { get; private set; }

    /// <summary>The Akka port the node bound; another node's --seeds takes it as 127.0.0.1:port.</summary>
    public int AkkaPort { get; private set; }

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The node's process id: a node downed and rejoining keeps it (it starts again in a fresh image of itself).</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// Starts a node on loopback. Ports 0 (the default) let the OS choose, and the node's ready line says which it bound,
    /// so no two tests race for a port; give the learned ports again to restart a node at the same address. The MQTT door
    /// is off unless <paramref name="extraArgs"/> give it a port (<c>--mqtt-port</c>).
    /// </summary>
    public static async Task<NodeProcess> StartAsync(string dataDir, string nodeName, int httpPort = 0, int akkaPort = 0, params string[] extraArgs)
    {
        var node = Launch(dataDir, nodeName, httpPort, akkaPort, extraArgs);
        try
        {
            await node.WaitUntilReadyAsync(nodeName);
            await node.WaitUntilServingAsync();
        }
        catch
        {
            node.Dispose();
            throw;
        }
        return node;
    }

    /// <summary>Starts a node process and returns at once, without waiting for it to serve (one that is expected never to join).</summary>
    public static NodeProcess Launch(string dataDir, string nodeName, int httpPort = 0, int akkaPort = 0, params string[] extraArgs)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--node-name", nodeName, "--http-host", "127.0.0.1",
                     "--http-port", httpPort.ToString(), "--akka-host", "127.0.0.1", "--akka-port", akkaPort.ToString(), "--data-dir", dataDir,
                 }.Concat(extraArgs.Contains("--mqtt-port") ? [] : ["--mqtt-port", "0"]).Concat(extraArgs))
            info.ArgumentList.Add(arg);
        return new NodeProcess(Process.Start(info)!, nodeName);
    }

    /// <summary>Reads the bound ports from the node's ready line.</summary>
    private async Task WaitUntilReadyAsync(string nodeName)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"node exited with {_process.ExitCode}:\n{Log}");
            if (EdgeCluster.Node.ReadyLine.Ports(Log, nodeName) is { } ports)
            {
                (HttpPort, AkkaPort) = ports;
                Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"node said no ready line within 60 s:\n{Log}");
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
        Http?.Dispose();
        _process.Dispose();
    }
}
