using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// Device tokens on a lab that runs with <c>--device-auth tokens</c>, two real node processes: registration answers a
/// token once and needs the admin token; readings need their device's token over HTTP (bearer, the lab's query string,
/// batches) and MQTT (mosquitto_pub's username and password); a token of another device is 403 naming the field, none
/// or a wrong one 401 naming Authorization; a rotated token stops working on the other member too; malformed requests
/// stay 4xx; and no token reaches a log.
/// </summary>
[Trait("Category", "Slow")]
[Collection(LightClusterCollection.Name)]
public sealed class DeviceTokenTests
{
    private const string Admin = "lab-admin-secret";

    [Fact]
    public async Task Readings_need_their_devices_token_over_http_and_mqtt_and_a_rotated_token_stops_working_on_every_member()
    {
        var mqtt = Enumerable.Range(0, 2).Select(_ => FreePort.Next()).ToArray();
        using var cluster = await ProcessCluster.StartAsync(2, "tk", i => ["--mqtt-port", mqtt[i].ToString()],
            "--device-auth", "tokens", "--admin-token", Admin);
        var n1 = cluster[0].Http;
        var n2 = cluster[1].Http;

        // Registering needs the admin token; it answers the device's token once.
        var anonymous = await n1.PostAsJsonAsync("/api/devices", new { device_id = 1, name = "ESP32_01" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Authorization", (await anonymous.ReadJsonAsync()).GetProperty("field").GetString());
        var token1 = await RegisterAsync(n1, 1, "ESP32_01");
        var token2 = await RegisterAsync(n1, 2, "ESP32_02");
        Assert.Equal(32, token1.Length);
        Assert.NotEqual(token1, token2);
        var again = await Send(n1, HttpMethod.Post, "/api/devices", Admin, new { device_id = 1, name = "ESP32_01", location = "bench" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.ReadJsonAsync()).TryGetProperty("token", out _), "a device that has a token is not given another");
        await Eventually.AssertAsync(async () => Assert.Equal(HttpStatusCode.OK, (await Send(n2, HttpMethod.Post, "/api/reading", token2,
            new { device_id = 2, temperature = 20, humidity = 50, seq = 1 })).StatusCode), TimeSpan.FromSeconds(20));

        // HTTP: none or a wrong one is 401 naming Authorization; another device's is 403 naming device_id.
        await AssertRefusedAsync(await n1.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 21, humidity = 50, seq = 1 }), 401, "Authorization");
        await AssertRefusedAsync(await Send(n1, HttpMethod.Post, "/api/reading", "not-a-token", new { device_id = 1, temperature = 21, humidity = 50, seq = 1 }), 401, "Authorization");
        await AssertRefusedAsync(await Send(n1, HttpMethod.Post, "/api/reading", token2, new { device_id = 1, temperature = 21, humidity = 50, seq = 1 }), 403, "device_id");
        Assert.Equal(HttpStatusCode.OK, (await Send(n1, HttpMethod.Post, "/api/reading", token1, new { device_id = 1, temperature = 21, humidity = 50, seq = 1 })).StatusCode);
        // The lab's Arduino request, plus one parameter.
        Assert.Equal(HttpStatusCode.OK, (await n1.GetAsync($"/api/reading?device_id=1&temperature=21.5&humidity=50&seq=2&token={token1}")).StatusCode);
        await AssertRefusedAsync(await n1.GetAsync($"/api/reading?device_id=1&temperature=21.5&humidity=50&seq=3&token={token2}"), 403, "device_id");
        // A batch: every item must be the token's device's, and nothing of it is stored otherwise.
        var mixed = new { readings = new object[] { new { device_id = 1, temperature = 22, humidity = 50, seq = 3 }, new { device_id = 2, temperature = 22, humidity = 50, seq = 3 } } };
        var refusedBatch = await Send(n1, HttpMethod.Post, "/api/readings/batch", token1, mixed);
        await AssertRefusedAsync(refusedBatch, 403, "readings[1].device_id");
        Assert.Equal([1L, 2L], await SeqsAsync(n1, 1));
        var own = new { readings = new object[] { new { device_id = 1, temperature = 22, humidity = 50, seq = 3 }, new { device_id = 1, temperature = 23, humidity = 50, seq = 4 } } };
        Assert.Equal(HttpStatusCode.OK, (await Send(n1, HttpMethod.Post, "/api/readings/batch", token1, own)).StatusCode);

        // MQTT: username the device's id or name, password its token (mosquitto_pub, MQTT 3.1.1).
        var port = mqtt[0].ToString();
        var byId = await MosquittoPubAsync(port, "1", token1, "sensors/1/reading", """{"device_id":1,"temperature":24,"humidity":50,"seq":5}""");
        Assert.True(byId.ExitCode == 0, byId.ToString());
        var byName = await MosquittoPubAsync(port, "ESP32_01", token1, "sensors/1/reading", """{"device_id":1,"temperature":24,"humidity":50,"seq":6}""");
        Assert.True(byName.ExitCode == 0, byName.ToString());
        var wrong = await MosquittoPubAsync(port, "1", token2, "sensors/1/reading", """{"device_id":1,"temperature":24,"humidity":50,"seq":7}""");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("bad user name or password", wrong.Err + wrong.Out, StringComparison.OrdinalIgnoreCase);
        var none = await MosquittoPubAsync(port, null, null, "sensors/1/reading", """{"device_id":1,"temperature":24,"humidity":50,"seq":7}""");
        Assert.NotEqual(0, none.ExitCode);
        await Eventually.AssertAsync(async () => Assert.Equal([1L, 2L, 3L, 4L, 5L, 6L], await SeqsAsync(n1, 1)));

        // Rotation on n1: the old token stops working on n2 as the registry change reaches it, the new one works there.
        var rotated = await Send(n1, HttpMethod.Post, "/api/devices/1/token", Admin, null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var token1b = (await rotated.ReadJsonAsync()).GetProperty("token").GetString()!;
        Assert.NotEqual(token1, token1b);
        await AssertRefusedAsync(await Send(n1, HttpMethod.Post, "/api/devices/1/token", null, null), 401, "Authorization");
        await AssertRefusedAsync(await Send(n1, HttpMethod.Post, "/api/devices/99/token", Admin, null), 404, "device_id");
        var watch = Stopwatch.StartNew();
        await Eventually.AssertAsync(async () =>
        {
            await AssertRefusedAsync(await Send(n2, HttpMethod.Post, "/api/reading", token1, new { device_id = 1, temperature = 25, humidity = 50, seq = 8 }), 401, "Authorization");
            Assert.Equal(HttpStatusCode.OK, (await Send(n2, HttpMethod.Post, "/api/reading", token1b, new { device_id = 1, temperature = 25, humidity = 50, seq = 8 })).StatusCode);
        }, TimeSpan.FromSeconds(20));
        Console.WriteLine($"rotated token took effect on the other member within {watch.ElapsedMilliseconds} ms");

        // Malformed requests with tokens on: refused with a 4xx, never a 5xx.
        var corpus = new List<HttpRequestMessage>
        {
            Raw(HttpMethod.Post, "/api/reading", "Bearer", "{}"),
            Raw(HttpMethod.Post, "/api/reading", "Basic dXNlcjpwYXNz", """{"device_id":1,"temperature":1,"humidity":1}"""),
            Raw(HttpMethod.Post, "/api/reading", "Bearer " + new string('x', 6000), """{"device_id":1,"temperature":1,"humidity":1}"""),
            Raw(HttpMethod.Post, "/api/reading", "Bearer " + token1b, "{not json"),
            Raw(HttpMethod.Post, "/api/reading", "Bearer " + token1b, """{"device_id":"one","temperature":1,"humidity":1}"""),
            Raw(HttpMethod.Post, "/api/reading", "Bearer " + token1b, """{"device_id":99999999999,"temperature":1,"humidity":1}"""),
            Raw(HttpMethod.Post, "/api/readings/batch", "Bearer " + token1b, """{"readings":[]}"""),
            Raw(HttpMethod.Post, "/api/readings/batch", "Bearer " + token1b, """{"readings":"x"}"""),
            Raw(HttpMethod.Get, "/api/reading?device_id=1&token=", null, null),
            Raw(HttpMethod.Get, "/api/reading?device_id=1&token=%00%ff&temperature=1&humidity=1", null, null),
            Raw(HttpMethod.Get, "/api/reading?token=" + token1b, null, null),
            Raw(HttpMethod.Post, "/api/devices/abc/token", "Bearer " + Admin, null),
            Raw(HttpMethod.Put, "/api/kv/setpoint", null, """{"value":21}"""),
        };
        foreach (var request in corpus)
        {
            var answer = await n1.SendAsync(request);
            Assert.True((int)answer.StatusCode is >= 400 and < 500, $"{request.Method} {request.RequestUri}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        }

        // The command line: register (the token shown once), post as the board with --device-token, over HTTP and MQTT.
        var member = $"127.0.0.1:{cluster[0].HttpPort}";
        var register = await EdgectlProcess.RunAsync(member, "devices", "register", "3", "ESP32_03", "--token", Admin);
        Assert.True(register.ExitCode == 0, register.ToString());
        var token3 = register.Out.Split('\n').Single(l => l.StartsWith("token: ", StringComparison.Ordinal))["token: ".Length..].Trim();
        var denied = await EdgectlProcess.RunAsync(member, "readings", "post", "3", "20", "50", "--seq", "1");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("pass --device-token or set EDGE_DEVICE_TOKEN", denied.Err);
        var posted = await EdgectlProcess.RunAsync(member, "readings", "post", "3", "20", "50", "--seq", "1", "--device-token", token3);
        Assert.True(posted.ExitCode == 0, posted.ToString());
        var published = await EdgectlProcess.RunAsync(member, "mqtt", "pub", "3", "21", "50", "--seq", "2", "--device-token", token3);
        Assert.True(published.ExitCode == 0, published.ToString());
        var refusedPub = await EdgectlProcess.RunAsync(member, "mqtt", "pub", "3", "21", "50", "--seq", "3", "--device-token", token1b);
        Assert.Equal(1, refusedPub.ExitCode);
        Assert.Contains("BadUserNameOrPassword", refusedPub.Err);
        Assert.Equal([1L, 2L], await SeqsAsync(n1, 3));

        // The firmware's simulator with --token-file, over HTTP (devices 4, 5) and MQTT (6, 7): every reading stored.
        var tokens = new Dictionary<int, string>();
        foreach (var id in new[] { 4, 5, 6, 7 }) tokens[id] = await RegisterAsync(n1, id, $"sim-{id}");
        var tokenFile = cluster.File("tokens.txt");
        await File.WriteAllLinesAsync(tokenFile, ["# device token", .. tokens.Select(t => $"{t.Key} {t.Value}")]);
        var http = SimAsync("--members", $"http://127.0.0.1:{cluster[0].HttpPort},http://127.0.0.1:{cluster[1].HttpPort}", "--first-device", "4", "--token-file", tokenFile);
        var overMqtt = SimAsync("--members", $"mqtt://127.0.0.1:{mqtt[0]},mqtt://127.0.0.1:{mqtt[1]}", "--first-device", "6", "--token-file", tokenFile);
        foreach (var run in await Task.WhenAll(http, overMqtt)) Assert.True(run.ExitCode == 0, run.ToString());
        await Eventually.AssertAsync(async () =>
        {
            foreach (var id in tokens.Keys) Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), await SeqsAsync(n2, id));
        });
        var missing = await SimAsync("--members", $"http://127.0.0.1:{cluster[0].HttpPort}", "--first-device", "8", "--token-file", tokenFile);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--token-file has no token for device 8", missing.Err);

        // Tokens never reach a log.
        foreach (var node in cluster.Running)
            foreach (var token in new[] { token1, token1b, token2, token3 }.Concat(tokens.Values))
                Assert.DoesNotContain(token, node.Log);
    }

    private static async Task<string> RegisterAsync(HttpClient http, int id, string name)
    {
        var response = await Send(http, HttpMethod.Post, "/api/devices", Admin, new { device_id = id, name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("token").GetString()!;
    }

    private static Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? bearer, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null) request.Content = JsonContent.Create(body);
        return http.SendAsync(request);
    }

    private static HttpRequestMessage Raw(HttpMethod method, string path, string? authorization, string? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return request;
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, int status, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal(field, JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    private static async Task<List<long>> SeqsAsync(HttpClient http, int device) =>
        (await (await http.GetAsync($"/api/readings/{device}?limit=100")).ReadJsonAsync()).GetProperty("readings").EnumerateArray()
        .Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();

    /// <summary>edge-sim, two boards from --first-device, 5 readings a second for 2 s.</summary>
    private static Task<ProcessRun.Ended> SimAsync(params string[] args)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("EDGE_SIM") is { Length: > 0 } sim ? sim : Repository.File("firmware", "build", "edge-sim"));
        foreach (var a in (string[])[.. args, "--devices", "2", "--rate", "5/s", "--duration", "2s", "--drain", "30s"]) info.ArgumentList.Add(a);
        return ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(60));
    }

    private static Task<ProcessRun.Ended> MosquittoPubAsync(string port, string? user, string? password, string topic, string message)
    {
        var info = new ProcessStartInfo("mosquitto_pub");
        foreach (var a in (string[])["-h", "127.0.0.1", "-p", port, "-q", "1", "-t", topic, "-m", message,
                     .. user is null ? Array.Empty<string>() : ["-u", user, "-P", password!]])
            info.ArgumentList.Add(a);
        return ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(30));
    }
}
