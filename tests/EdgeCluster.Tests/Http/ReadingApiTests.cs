using System.Net;
using System.Net.Http.Json;
using System.Text;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Http;

/// <summary>The lab's API over real HTTP on loopback, against a node with SQLite files in a temporary folder.</summary>
public sealed class ReadingApiTests : IAsyncLifetime
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
    public async Task A_json_reading_is_acknowledged_with_its_origin_and_read_back()
    {
        var response = await Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 22.5, humidity = 65 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ack = await response.ReadJsonAsync();
        Assert.Equal("success", ack.GetProperty("status").GetString());
        Assert.Equal("test-node", ack.GetProperty("origin_node").GetString());
        Assert.Equal(1, ack.GetProperty("origin_seq").GetInt64());

        var list = await (await Http.GetAsync("/api/readings/1?limit=10")).ReadJsonAsync();
        Assert.Equal(1, list.GetProperty("count").GetInt32());
        var stored = list.GetProperty("readings")[0];
        Assert.Equal(22.5, stored.GetProperty("temperature").GetDouble());
        Assert.Equal(65, stored.GetProperty("humidity").GetDouble());
        Assert.Equal("test-node", stored.GetProperty("origin_node").GetString());
        Assert.True(stored.TryGetProperty("received_at", out _));
    }

    [Fact]
    public async Task The_arduino_sketch_get_with_a_query_string_is_stored()
    {
        var response = await Http.GetAsync("/api/reading?device_id=1&temperature=21.4&humidity=55.0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var post = await Http.PostAsync("/api/reading?device_id=1&temperature=21.6&humidity=56.0", null);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(2, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task A_retry_with_a_stored_seq_is_answered_duplicate_and_stored_once()
    {
        var body = new { device_id = 1, temperature = 20.0, humidity = 40, seq = 17, timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() };
        var first = await (await Http.PostAsJsonAsync("/api/reading", body)).ReadJsonAsync();
        var retry = await Http.PostAsJsonAsync("/api/reading", body);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(first.GetProperty("duplicate").GetBoolean());
        Assert.True((await retry.ReadJsonAsync()).GetProperty("duplicate").GetBoolean());
        Assert.Equal(1, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task Large_seqs_such_as_clock_ticks_are_kept_exactly()
    {
        const long seq = 639_000_000_000_000_001;
        var ack = await (await Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20.0, humidity = 50, seq })).ReadJsonAsync();
        Assert.Equal(seq, ack.GetProperty("seq").GetInt64());
        var stored = (await (await Http.GetAsync("/api/readings/1")).ReadJsonAsync()).GetProperty("readings")[0];
        Assert.Equal(seq, stored.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task A_batch_is_stored_whole()
    {
        await _node.RegisterAsync(2);
        var readings = Enumerable.Range(0, 500).Select(i => new { device_id = 1 + i % 2, temperature = 20.0 + i % 7, humidity = 50, seq = i }).ToArray();
        var response = await Http.PostAsJsonAsync("/api/readings/batch", new { readings });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ack = await response.ReadJsonAsync();
        Assert.Equal(500, ack.GetProperty("inserted").GetInt32());

        var bare = await Http.PostAsJsonAsync("/api/readings/batch", readings.Take(10));
        Assert.Equal(10, (await bare.ReadJsonAsync()).GetProperty("duplicates").GetInt32());
        Assert.Equal(500, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task One_bad_item_refuses_the_whole_batch_naming_its_index_and_field()
    {
        var readings = new object[]
        {
            new { device_id = 1, temperature = 20.0, humidity = 50 },
            new { device_id = 1, temperature = 21.0, humidity = 50 },
            new { device_id = 1, temperature = "hot", humidity = 50 },
        };
        var response = await Http.PostAsJsonAsync("/api/readings/batch", new { readings });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ReadJsonAsync();
        Assert.Equal("readings[2].temperature", error.GetProperty("field").GetString());
        Assert.Equal(2, error.GetProperty("index").GetInt32());
        Assert.Equal(0, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task A_batch_with_an_unknown_device_stores_nothing()
    {
        var readings = new object[] { new { device_id = 1, temperature = 20.0, humidity = 50 }, new { device_id = 404, temperature = 20.0, humidity = 50 } };
        var response = await Http.PostAsJsonAsync("/api/readings/batch", readings);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("readings[1].device_id", (await response.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(0, _node.Store.Queries.CountReadings());
    }

    [Theory]
    [InlineData("{\"device_id\":1,\"temperature\":22.5}", "humidity")]
    [InlineData("{\"device_id\":\"x\",\"temperature\":22.5,\"humidity\":1}", "device_id")]
    [InlineData("{\"device_id\":1,\"temperature\":22.5,\"humidity\":1,\"timestamp\":\"2019-01-01T00:00:00Z\"}", "timestamp")]
    [InlineData("{\"device_id\":1,\"temperature\":22.5,\"humidity\":1,\"seq\":-4}", "seq")]
    [InlineData("{\"device_id\":1,\"temperature\":", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("", "body")]
    public async Task Bad_readings_get_400_naming_the_field(string json, string field)
    {
        var response = await Http.PostAsync("/api/reading", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.ReadJsonAsync();
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Unknown_devices_get_404_wrong_methods_405_big_bodies_413_and_other_media_415()
    {
        var unknown = await Http.PostAsJsonAsync("/api/reading", new { device_id = 55, temperature = 20.0, humidity = 50 });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("device_id", (await unknown.ReadJsonAsync()).GetProperty("field").GetString());

        var wrongMethod = await Http.DeleteAsync("/api/reading");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.True((await wrongMethod.ReadJsonAsync()).TryGetProperty("error", out _));

        var big = new StringContent("{\"readings\":[" + new string(' ', 1_100_000) + "]}", Encoding.UTF8, "application/json");
        var tooLarge = await Http.PostAsync("/api/readings/batch", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("body", (await tooLarge.ReadJsonAsync()).GetProperty("field").GetString());

        var xml = await Http.PostAsync("/api/reading", new StringContent("<reading/>", Encoding.UTF8, "application/xml"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);

        var nowhere = await Http.GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        Assert.True((await nowhere.ReadJsonAsync()).TryGetProperty("error", out _));
        Assert.Equal(0, _node.Store.Queries.CountReadings());
    }

    [Fact]
    public async Task Readings_come_back_newest_first_within_since_and_until()
    {
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var readings = Enumerable.Range(0, 6).Select(i => new
        {
            device_id = 1, temperature = 10.0 + i, humidity = 50, timestamp = start.AddMinutes(30 * i).ToString("O"),
        });
        Assert.Equal(HttpStatusCode.OK, (await Http.PostAsJsonAsync("/api/readings/batch", readings)).StatusCode);

        var since = Uri.EscapeDataString(start.AddMinutes(45).ToString("O"));
        var until = start.AddMinutes(135).ToUnixTimeMilliseconds();
        var list = await (await Http.GetAsync($"/api/readings/1?since={since}&until={until}")).ReadJsonAsync();
        Assert.Equal([14.0, 13.0, 12.0], list.GetProperty("readings").EnumerateArray().Select(r => r.GetProperty("temperature").GetDouble()));

        var limited = await (await Http.GetAsync("/api/readings/1?limit=2")).ReadJsonAsync();
        Assert.Equal(2, limited.GetProperty("count").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/readings/1?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/readings/abc")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/readings/999")).StatusCode);
    }

    [Fact]
    public async Task Stats_give_the_labs_summary_and_hourly_buckets()
    {
        var hourAgo = DateTimeOffset.UtcNow.AddHours(-1);
        var readings = new[]
        {
            new { device_id = 1, temperature = 20.0, humidity = 40.0, timestamp = hourAgo.ToString("O") },
            new { device_id = 1, temperature = 24.0, humidity = 60.0, timestamp = DateTimeOffset.UtcNow.ToString("O") },
        };
        await Http.PostAsJsonAsync("/api/readings/batch", readings);

        var stats = await (await Http.GetAsync("/api/stats/1?period=hourly&hours=24")).ReadJsonAsync();
        Assert.Equal(2, stats.GetProperty("total_readings").GetInt64());
        var t = stats.GetProperty("statistics").GetProperty("temperature");
        Assert.Equal(22.0, t.GetProperty("avg").GetDouble());
        Assert.Equal(20.0, t.GetProperty("min").GetDouble());
        Assert.Equal(24.0, t.GetProperty("max").GetDouble());
        Assert.Equal(50.0, stats.GetProperty("statistics").GetProperty("humidity").GetProperty("avg").GetDouble());
        Assert.Equal(2, stats.GetProperty("buckets").GetArrayLength());

        var daily = await (await Http.GetAsync("/api/stats/1?period=daily")).ReadJsonAsync();
        Assert.InRange(daily.GetProperty("buckets").GetArrayLength(), 1, 2);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync("/api/stats/1?period=weekly")).StatusCode);
    }

    [Fact]
    public async Task Devices_are_registered_listed_and_updated()
    {
        var created = await Http.PostAsJsonAsync("/api/devices", new { device_id = 7, name = "ESP32_07", type = "DHT22", location = "Greenhouse" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var updated = await Http.PostAsJsonAsync("/api/devices", new { device_id = 7, name = "ESP32_07", type = "DHT22", location = "Attic" });
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        var device = await (await Http.GetAsync("/api/devices/7")).ReadJsonAsync();
        Assert.Equal("Attic", device.GetProperty("location").GetString());
        var all = await (await Http.GetAsync("/api/devices")).ReadJsonAsync();
        Assert.Equal(2, all.GetProperty("count").GetInt32());

        var bad = await Http.PostAsJsonAsync("/api/devices", new { device_id = 8 });
        Assert.Equal("name", (await bad.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/devices/8")).StatusCode);
    }

    [Fact]
    public async Task Concurrent_posts_are_all_acknowledged_and_all_stored()
    {
        var posts = Enumerable.Range(0, 200).Select(i =>
            Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20.0, humidity = 50, seq = i }));
        var responses = await Task.WhenAll(posts);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(200, _node.Store.Queries.CountReadings());
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

public sealed class AutoRegistrationTests
{
    [Fact]
    public async Task A_node_with_auto_registration_accepts_a_new_device_on_its_first_reading()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, autoRegister: true);
        var response = await node.Http.PostAsJsonAsync("/api/reading", new { device_id = 42, temperature = 20.0, humidity = 50 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var device = await (await node.Http.GetAsync("/api/devices/42")).ReadJsonAsync();
        Assert.Equal("auto", device.GetProperty("type").GetString());
    }
}
