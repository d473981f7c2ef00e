using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Node;
using EdgeCluster.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeCluster.TestKit;

/// <summary>
/// A whole node in the test process: the production host on real Kestrel over loopback, real
/// remoting, SQLite files in a folder of the test's, ports chosen by the OS unless given.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestNode(WebApplication app, NodeSettings settings, Uri baseAddress)
    {
        _app = app;
        Settings = settings;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public NodeSettings Settings { get; }
    public string Name => Settings.NodeName;
    public HttpClient Http { get; }
    public ReadModelStore Store => _app.Services.GetRequiredService<ReadModelStore>();
    public IServiceProvider Services => _app.Services;
    public ActorSystem System => _app.Services.GetRequiredService<ActorSystem>();
    public Cluster Cluster => Cluster.Get(System);

    /// <summary>"127.0.0.1:port" of this node's remoting, as another node's --seeds takes it.</summary>
    public string AkkaEndpoint => $"{Cluster.SelfAddress.Host}:{Cluster.SelfAddress.Port}";

    public static async Task<TestNode> StartAsync(string dataDir, string nodeName = "test-node", bool autoRegister = false,
        IReadOnlyList<string>? seeds = null, int akkaPort = 0, int replicationIntervalMs = 200, string profile = "default",
        string? adminToken = null, Func<NodeSettings, NodeSettings>? configure = null)
    {
        var settings = new NodeSettings
        {
            NodeName = nodeName,
            HttpHost = "127.0.0.1",
            HttpPort = 0,
            AkkaHost = "127.0.0.1",
            AkkaPort = akkaPort,
            DataDir = dataDir,
            AutoRegister = autoRegister,
            Seeds = seeds ?? [],
            ReplicationIntervalMs = replicationIntervalMs,
            Profile = profile,
            AdminToken = adminToken,
            // Many test nodes share the machine: the MQTT door is off unless a test turns it on with a port of its own.
            MqttPort = 0,
        };
        if (configure is not null) settings = configure(settings);
        var app = NodeHost.Build(settings, logging => logging.ClearProviders());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestNode(app, settings, new Uri(address));
    }

    public async Task RegisterAsync(int deviceId, string name = "ESP32")
    {
        var response = await Http.PostAsJsonAsync("/api/devices", new { device_id = deviceId, name, type = "DHT22", location = "Lab" });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"registering device {deviceId} on {Name} failed: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Posts one reading; returns the node's JSON answer, and throws unless it was 200.</summary>
    public async Task<JsonElement> PostReadingAsync(int deviceId, double temperature, double humidity, long? seq = null)
    {
        var response = await Http.PostAsJsonAsync("/api/reading", new { device_id = deviceId, temperature, humidity, seq });
        var body = await response.ReadJsonAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /api/reading on {Name}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>
    /// The readings this node returns for a device, newest first (up to 10,000); none when the node does not know the
    /// device at all (404). Any other answer but 200 throws: a server error is not an empty list.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> ReadingsAsync(int deviceId)
    {
        var response = await Http.GetAsync($"/api/readings/{deviceId}?limit=10000");
        if (response.StatusCode == global::System.Net.HttpStatusCode.NotFound) return [];
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET /api/readings/{deviceId} on {Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.ReadJsonAsync()).GetProperty("readings").EnumerateArray().ToList();
    }

    /// <summary>Leaves the cluster and stops, as a node shut down by its operator.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
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

public static class Eventually
{
    /// <summary>Retries an assertion until it passes or the time is up, then lets its last failure through; every 200 ms unless <paramref name="every"/> says.</summary>
    public static async Task AssertAsync(Func<Task> assertion, TimeSpan? within = null, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
            }
        }
    }
}
