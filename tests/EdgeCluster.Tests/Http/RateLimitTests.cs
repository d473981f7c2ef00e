using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCluster.Tests.Http;

/// <summary>
/// The ingest doors' rate limits, set low: a device over its share is answered 429 with Retry-After and the field,
/// nothing of its request stored, while another device goes on; an address over its share is refused before its body is
/// read; MQTT 5 hears "quota exceeded"; and once the wait has passed the device is served again.
/// </summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly int _mqttPort = FreePort.Next();
    private TestNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dir.Path, configure: s => s with { LimitPerDevice = 5, LimitPerAddress = 20, MqttPort = _mqttPort });
        await _node.RegisterAsync(1, "ESP32_01");
        await _node.RegisterAsync(2, "ESP32_02");
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private static object Batch(int device, int from, int count) => new
    {
        readings = Enumerable.Range(from, count).Select(seq => new { device_id = device, temperature = 20, humidity = 50, seq }).ToArray(),
    };

    [Fact]
    public async Task A_device_over_its_share_waits_its_Retry_After_while_the_others_go_on_and_an_address_over_its_share_is_refused_first()
    {
        // A burst of ten seconds' worth (50 readings) goes through at once: a board replaying its buffer.
        Assert.Equal(HttpStatusCode.OK, (await _node.Http.PostAsJsonAsync("/api/readings/batch", Batch(1, 1, 50))).StatusCode);
        var refused = await _node.Http.PostAsJsonAsync("/api/readings/batch", Batch(1, 51, 5));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var wait = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(wait);
        Assert.InRange(wait!.Value.TotalSeconds, 1, 2);
        var body = await refused.ReadJsonAsync();
        Assert.Equal("device_id", body.GetProperty("field").GetString());
        Assert.Contains("nothing was stored", body.GetProperty("error").GetString());
        Assert.Equal(50, (await _node.ReadingsAsync(1)).Count);
        // Another device is not starved by the first.
        Assert.Equal(HttpStatusCode.OK, (await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 2, temperature = 20, humidity = 50, seq = 1 })).StatusCode);
        // After the wait, the device is served again (the firmware honours Retry-After).
        // (The buckets refill on a timer: a loaded machine may run it a little late.)
        await Task.Delay(wait.Value);
        await Eventually.AssertAsync(async () =>
            Assert.Equal(HttpStatusCode.OK, (await _node.Http.PostAsJsonAsync("/api/readings/batch", Batch(1, 51, 5))).StatusCode), TimeSpan.FromSeconds(3));
        Assert.Equal(55, (await _node.ReadingsAsync(1)).Count);

        // MQTT 5: a publish over the device's share hears "quota exceeded" and is not stored.
        var mqtt = new MqttClientFactory().CreateMqttClient();
        await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithClientId("esp32-2").WithTcpServer("127.0.0.1", _mqttPort)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        MqttApplicationMessage Publish(int from, int count) => new MqttApplicationMessageBuilder().WithTopic("sensors/2/batch")
            .WithPayload(System.Text.Json.JsonSerializer.Serialize(Batch(2, from, count))).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        Assert.Equal(MqttClientPublishReasonCode.Success, (await mqtt.PublishAsync(Publish(2, 45))).ReasonCode);
        var ack = await mqtt.PublishAsync(Publish(47, 10));
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, ack.ReasonCode);
        Assert.Contains("rate limited", ack.ReasonString);
        Assert.Equal(46, (await _node.ReadingsAsync(2)).Count);
        await mqtt.DisconnectAsync();

        // One address sending faster than 20 requests a second (burst 40) is refused before its body is read; the
        // rest of the API still answers it.
        // The address's bucket has been full and idle for seconds: the burst meets that one bucket, never a second.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = (await Task.WhenAll(Enumerable.Range(0, 120).Select(async i =>
            (await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 100 + i, temperature = 20, humidity = 50 })).StatusCode))).ToList();
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.All(answers, a => Assert.True(a is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests, a.ToString()));
        // Served: at most the burst and what 20 a second refilled meanwhile; the rest refused.
        var served = answers.Count(a => a == HttpStatusCode.NotFound);
        Assert.True(served <= 40 + Math.Ceiling(20 * seconds) + 2, $"{served} served in {seconds:0.00} s");
        Assert.Contains(HttpStatusCode.TooManyRequests, answers);
        Assert.Equal(HttpStatusCode.OK, (await _node.Http.GetAsync("/api/devices")).StatusCode);
    }
}
