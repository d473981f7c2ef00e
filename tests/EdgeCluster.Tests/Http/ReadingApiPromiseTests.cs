using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace EdgeCluster.Tests.Http;

/// <summary>What README promises of the HTTP door beyond the common paths: forms, limits, media types, a device's latest.</summary>
public sealed class ReadingApiPromiseTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;
    private HttpClient Http => _node.Http;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dir.Path);
        await _node.RegisterAsync(1, "ESP32_01");
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_form_encoded_reading_is_stored()
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["device_id"] = "1", ["temperature"] = "19.5", ["humidity"] = "44", ["seq"] = "7" });
        var response = await Http.PostAsync("/api/reading", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await _node.ReadingsAsync(1));
        Assert.Equal(19.5, stored.GetProperty("temperature").GetDouble());
        Assert.Equal(7, stored.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task A_batch_over_ten_thousand_readings_is_refused_whole()
    {
        var readings = Enumerable.Range(1, 10_001).Select(i => new { device_id = 1, temperature = 20.0, humidity = 50, seq = i });
        var response = await Http.PostAsJsonAsync("/api/readings/batch", new { readings });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("readings", (await response.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(0, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task A_chunked_body_over_one_mebibyte_gets_413_and_a_batch_that_is_not_json_415()
    {
        // No Content-Length: the body arrives chunked, and the limit holds all the same.
        var big = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"device_id\":1,\"pad\":\"" + new string('x', 1_200_000) + "\"}")));
        big.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/reading") { Content = big };
        request.Headers.TransferEncodingChunked = true;
        var tooLarge = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("body", (await tooLarge.ReadJsonAsync()).GetProperty("field").GetString());

        var text = await Http.PostAsync("/api/readings/batch", new StringContent("device_id=1", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal("Content-Type", (await text.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(0, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task A_device_carries_its_latest_reading()
    {
        var empty = await (await Http.GetAsync("/api/devices/1")).ReadJsonAsync();
        Assert.False(empty.TryGetProperty("latest", out _));
        var now = DateTimeOffset.UtcNow;
        foreach (var (seq, temperature, at) in new[] { (1, 21.0, now.AddSeconds(-60)), (2, 23.5, now.AddSeconds(-30)) })
            Assert.Equal(HttpStatusCode.OK, (await Http.PostAsJsonAsync("/api/reading",
                new { device_id = 1, temperature, humidity = 40, seq, timestamp = at.ToString("O") })).StatusCode);
        var device = await (await Http.GetAsync("/api/devices/1")).ReadJsonAsync();
        Assert.Equal("ESP32_01", device.GetProperty("name").GetString());
        Assert.Equal(23.5, device.GetProperty("latest").GetProperty("temperature").GetDouble());
        Assert.Equal(2, device.GetProperty("latest").GetProperty("seq").GetInt64());
    }
}
