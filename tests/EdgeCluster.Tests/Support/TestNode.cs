using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Node;
using EdgeCluster.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeCluster.Tests.Support;

/// <summary>
/// A whole node in the test process: the production host on real Kestrel over loopback, real
/// remoting, SQLite files in a temporary folder, ports chosen by the OS.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestNode(WebApplication app, NodeSettings settings, Uri baseAddress)
    {
        _app = app;
        Settings = settings;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public NodeSettings Settings { get; }
    public HttpClient Http { get; }
    public ReadModelStore Store => _app.Services.GetRequiredService<ReadModelStore>();
    public IServiceProvider Services => _app.Services;

    public static async Task<TestNode> StartAsync(string dataDir, string nodeName = "test-node", bool autoRegister = false)
    {
        var settings = new NodeSettings
        {
            NodeName = nodeName,
            HttpHost = "127.0.0.1",
            HttpPort = 0,
            AkkaHost = "127.0.0.1",
            AkkaPort = 0,
            DataDir = dataDir,
            AutoRegister = autoRegister,
        };
        var app = NodeHost.Build(settings, logging => logging.ClearProviders());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestNode(app, settings, new Uri(address));
    }

    public async Task RegisterAsync(int deviceId, string name = "ESP32")
    {
        var response = await Http.PostAsJsonAsync("/api/devices", new { device_id = deviceId, name, type = "DHT22", location = "Lab" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public static class Json
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
