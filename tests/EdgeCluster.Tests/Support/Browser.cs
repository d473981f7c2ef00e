using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeCluster.Tests.Support;

/// <summary>
/// Debian's Chromium, headless, driven over the DevTools protocol on a WebSocket (no browser download, no driver):
/// navigate, evaluate JavaScript, take screenshots, and collect every console error and uncaught exception of the page.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _calls = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _nextId;
    private Task _receiving = Task.CompletedTask;

    private Browser(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Console errors and uncaught exceptions seen so far.</summary>
    public IReadOnlyCollection<string> Errors => _errors.ToArray();

    public static string Executable => File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : "chromium";

    public static async Task<Browser> StartAsync(int width = 1200, int height = 900)
    {
        var profile = Directory.CreateTempSubdirectory("edge-chromium-").FullName;
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank" })
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var browser = new Browser(process, profile);
        try
        {
            // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
            var port = await Task.Run(() =>
            {
                while (process.StandardError.ReadLine() is { } line)
                    if (Regex.Match(line, @"DevTools listening on ws://[^:]+:(\d+)/") is { Success: true } m) return int.Parse(m.Groups[1].Value);
                throw new InvalidOperationException("chromium exited before it listened for DevTools");
            }).WaitAsync(TimeSpan.FromSeconds(30));
            _ = Task.Run(() => process.StandardError.ReadToEnd());
            using var http = new HttpClient();
            var pages = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list"))!.AsArray();
            var page = pages.First(p => p!["type"]!.GetValue<string>() == "page")!;
            await browser._socket.ConnectAsync(new Uri(page["webSocketDebuggerUrl"]!.GetValue<string>()), CancellationToken.None);
            browser._receiving = browser.ReceiveAsync();
            await browser.SendAsync("Runtime.enable");
            await browser.SendAsync("Page.enable");
            await browser.SendAsync("Log.enable");
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false });
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public async Task<JsonNode?> SendAsync(string method, object? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[id] = done;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        return await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Opens a URL and waits for its load event.</summary>
    public async Task NavigateAsync(string url)
    {
        _loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync("Page.navigate", new { url });
        await _loaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The value of a JavaScript expression in the page (promises awaited), as JSON.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true });
        if (result?["exceptionDetails"] is { } error) throw new InvalidOperationException($"{expression}: {error.ToJsonString()}");
        return result?["result"]?["value"];
    }

    public async Task ScreenshotAsync(string path)
    {
        var shot = await SendAsync("Page.captureScreenshot", new { format = "png" });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot!["data"]!.GetValue<string>()));
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 20];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var part = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (part.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, part.Count);
                if (!part.EndOfMessage) continue;
                var node = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
                message.SetLength(0);
                if (node?["id"] is { } id && _calls.TryRemove(id.GetValue<int>(), out var call))
                {
                    if (node["error"] is { } error) call.TrySetException(new InvalidOperationException(error.ToJsonString()));
                    else call.TrySetResult(node["result"]);
                    continue;
                }
                switch (node?["method"]?.GetValue<string>())
                {
                    case "Page.loadEventFired": _loaded.TrySetResult(); break;
                    case "Runtime.exceptionThrown": _errors.Enqueue(node["params"]!["exceptionDetails"]!.ToJsonString()); break;
                    case "Runtime.consoleAPICalled" when node["params"]!["type"]!.GetValue<string>() == "error":
                        _errors.Enqueue(node["params"]!["args"]!.ToJsonString());
                        break;
                    case "Log.entryAdded" when node["params"]!["entry"]!["level"]!.GetValue<string>() == "error":
                        _errors.Enqueue(node["params"]!["entry"]!["text"]!.GetValue<string>());
                        break;
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
        catch (WebSocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { _socket.Abort(); } catch (Exception) { }
        try { await _receiving; } catch (Exception) { }
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (Exception) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
        _socket.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
