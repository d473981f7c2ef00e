using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The MQTT door of real node processes, with clients no one here wrote: Debian's mosquitto_pub and mosquitto_sub, the
/// lab's own Python publisher (python3-paho-mqtt 1.x), and MQTTnet's client.
/// </summary>
[Trait("Category", "Slow")]
[Collection(LightClusterCollection.Name)]
public sealed class MqttTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_subscriber_on_any_member_gets_readings_published_on_another_and_the_labs_publisher_is_stored()
    {
        var mqtt = Enumerable.Range(0, 3).Select(_ => FreePort.Next()).ToArray();
        using var cluster = await ProcessCluster.StartAsync(3, "mq", i => ["--mqtt-port", mqtt[i].ToString()]);
        Assert.Equal(HttpStatusCode.Created, (await cluster[0].Http.PostAsJsonAsync("/api/devices", new { device_id = 1, name = "ESP32_01", interval_s = 60 })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await cluster[0].Http.PostAsJsonAsync("/api/devices", new { device_id = 7, name = "sensor_room1" })).StatusCode);
        foreach (var node in cluster.Running)
            await Eventually.AssertAsync(async () =>
                Assert.Equal(2, (await (await node.Http.GetAsync("/api/devices")).ReadJsonAsync()).GetProperty("devices").GetArrayLength()),
                TimeSpan.FromSeconds(30));

        // The lab's "cloud aggregator" points at member 3 and hears what boards publish on member 1.
        var subscriber = Start("mosquitto_sub", "-h", "127.0.0.1", "-p", mqtt[2].ToString(), "-i", "aggregator", "-q", "1",
            "-t", "sensors/#", "-v", "-C", "6", "-W", "60");
        await SubscribedAsync(cluster[2]);
        Task<ProcessRun.Ended> Publish(int seq) => Run("mosquitto_pub", "-h", "127.0.0.1", "-p", mqtt[0].ToString(), "-i", "esp32-1",
            "-q", "1", "-t", "sensors/1/reading", "-m", $$"""{"device_id":1,"temperature":2{{seq}}.5,"humidity":60,"seq":{{seq}}}""");
        for (var seq = 1; seq <= 3; seq++)
        {
            // As a board does: a publish the member could not store gets no PUBACK (MQTT 3.1.1: the connection closes) and
            // is sent again with its seq. Once is allowed, and said; the subscriber must still hear each seq once.
            var pub = await Publish(seq);
            if (pub.ExitCode != 0)
            {
                output.WriteLine($"seq {seq} not acknowledged, sent again: {pub}\n{cluster.LogTails()}");
                pub = await Publish(seq);
            }
            Assert.True(pub.ExitCode == 0, $"{pub}\n{cluster.LogTails()}");
        }
        // The lab's own publisher, unchanged but for its broker, on member 2: device named, time.time() stamps.
        var lab = await Run("/usr/bin/python3", Repository.File("tests", "EdgeCluster.Tests", "EndToEnd", "lab_mqtt_publisher.py"),
            "127.0.0.1", mqtt[1].ToString(), "3");
        output.WriteLine(lab.Out);
        Assert.True(lab.ExitCode == 0, $"{lab}\n{cluster.LogTails()}");
        Assert.Contains("acknowledged 3 of 3", lab.Out);

        var heard = await subscriber.ToExitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine(heard.Out);
        var lines = heard.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        var readings = lines.Select(l => (Topic: l[..l.IndexOf(' ')], Body: JsonDocument.Parse(l[(l.IndexOf(' ') + 1)..]).RootElement)).ToList();
        Assert.Equal([1L, 2L, 3L], readings.Where(r => r.Topic == "sensors/1/reading").Select(r => r.Body.GetProperty("seq").GetInt64()));
        Assert.All(readings.Where(r => r.Topic == "sensors/1/reading"), r => Assert.Equal("mq0", r.Body.GetProperty("origin_node").GetString()));
        Assert.Equal(3, readings.Count(r => r.Topic == "sensors/7/reading" && r.Body.GetProperty("origin_node").GetString() == "mq1"));
        var stored = (await (await cluster[2].Http.GetAsync("/api/readings/7")).ReadJsonAsync()).GetProperty("readings");
        Assert.Equal(3, stored.GetArrayLength());

        // edgectl speaks MQTT over the member's WebSocket door: a tail on member 2, a publish on member 1.
        var tail = EdgectlProcess.RunAsync($"127.0.0.1:{cluster[1].HttpPort}", "mqtt", "tail", "sensors/1/#", "--count", "1", "--for", "60");
        await SubscribedAsync(cluster[1]);
        var edgectlPub = await EdgectlProcess.RunAsync($"127.0.0.1:{cluster[0].HttpPort}", "mqtt", "pub", "1", "25.5", "61", "--seq", "10");
        Assert.True(edgectlPub.ExitCode == 0, edgectlPub.ToString());
        Assert.Contains("stored: sensors/1/reading acknowledged", edgectlPub.Out);
        var tailed = await tail;
        Assert.True(tailed.ExitCode == 0, tailed.ToString());
        Assert.Contains("sensors/1/reading {", tailed.Out);
        Assert.Contains("\"seq\":10", tailed.Out);
        var refused = await EdgectlProcess.RunAsync($"127.0.0.1:{cluster[0].HttpPort}", "mqtt", "pub", "99", "25.5", "61");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("refused: ImplementationSpecificError: device_id: Device 99 not found", refused.Out);

        // A board on member 1 loses its connection without DISCONNECT (its process dies): offline on member 3 at once.
        var board = Process.Start(new ProcessStartInfo("mosquitto_pub", $"-h 127.0.0.1 -p {mqtt[0]} -i esp32-1 -q 1 -t sensors/1/reading -l")
            { RedirectStandardInput = true, UseShellExecute = false })!;
        await board.StandardInput.WriteLineAsync("""{"device_id":1,"temperature":21,"humidity":50,"seq":20}""");
        await board.StandardInput.FlushAsync();
        async Task<string> StatusOnMember3Async() =>
            (await (await cluster[2].Http.GetAsync("/api/devices/1")).ReadJsonAsync()).GetProperty("status").GetString()!;
        // Its reading is stored (so its connection carried device 1) before the connection breaks.
        await Eventually.AssertAsync(async () => Assert.Contains(
            (await (await cluster[2].Http.GetAsync("/api/readings/1")).ReadJsonAsync()).GetProperty("readings").EnumerateArray(),
            r => r.TryGetProperty("seq", out var seq) && seq.GetInt64() == 20), TimeSpan.FromSeconds(15));
        Assert.Equal("online", await StatusOnMember3Async());
        board.Kill();
        await board.WaitForExitAsync();
        var killedAt = Stopwatch.StartNew();
        await Eventually.AssertAsync(async () => Assert.Equal("offline", await StatusOnMember3Async()), TimeSpan.FromSeconds(15));
        output.WriteLine($"device 1 offline on member 3 {killedAt.ElapsedMilliseconds} ms after its board's connection broke on member 1");
    }

    [Fact]
    public async Task Qos1_publishes_acknowledged_before_a_sigkill_are_all_there_after_restart_and_bad_packets_harm_no_one()
    {
        using var dir = new TempDir();
        var mqttPort = FreePort.Next();
        var acknowledged = new ConcurrentDictionary<(int Device, long Seq), bool>();
        int httpPort;
        using (var node = await NodeProcess.StartAsync(dir.Path, "mqtt-crash", 0, 0, "--mqtt-port", mqttPort.ToString(), "--auto-register"))
        {
            httpPort = node.HttpPort;
            // Malformed packets and an oversized payload from strangers while a board is connected: the board is untouched.
            var board = await ConnectAsync(mqttPort, "steady-board");
            using (var garbage = new TcpClient())
            {
                await garbage.ConnectAsync(IPAddress.Loopback, mqttPort);
                try
                {
                    await garbage.GetStream().WriteAsync(new byte[] { 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3 });
                    await garbage.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"));
                }
                catch (IOException)
                {
                    // The broker closed the connection at the malformed length before the rest came: what a stranger's
                    // garbage deserves.
                }
            }
            // A CONNECT too short to be one: the broker's own complaint is one warning line of the node's log.
            using (var shortConnect = new TcpClient())
            {
                await shortConnect.ConnectAsync(IPAddress.Loopback, mqttPort);
                await shortConnect.GetStream().WriteAsync(new byte[] { 0x10, 5, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o' });
                await Eventually.AssertAsync(() =>
                {
                    Assert.Contains("warn: MQTTnet.MqttClientSessionsManager[0] CONNECT packet must have at least 7 bytes", node.Log);
                    return Task.CompletedTask;
                }, TimeSpan.FromSeconds(10));
            }
            await File.WriteAllTextAsync(dir.File("huge.json"), new string('x', 2 * 1024 * 1024));
            var huge = await Run("mosquitto_pub", "-h", "127.0.0.1", "-p", mqttPort.ToString(), "-i", "huge", "-q", "1", "-V", "mqttv5",
                "-t", "sensors/1/reading", "-f", dir.File("huge.json"), "-d");
            output.WriteLine($"oversized publish: {huge}");
            Assert.Contains("153", huge.Out + huge.Err);
            // A packet announcing 250 MB: the connection is closed once its header is in, before its body is held anywhere.
            using (var hog = new TcpClient())
            {
                await hog.ConnectAsync(IPAddress.Loopback, mqttPort);
                var stream = hog.GetStream();
                await stream.WriteAsync(new byte[] { 0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 2, 0, 60, 0, 1, (byte)'h' });
                var connack = new byte[4];
                await stream.ReadExactlyAsync(connack);
                Assert.Equal(0x20, connack[0]);
                await stream.WriteAsync(new byte[] { 0x30, 0x80, 0x80, 0x80, 0x7D });  // PUBLISH, remaining length 262,144,000
                var closed = false;
                try
                {
                    var chunk = new byte[65536];
                    using var within = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    for (var sent = 0; sent < 64 && !within.IsCancellationRequested; sent++) await stream.WriteAsync(chunk, within.Token);
                    closed = await stream.ReadAsync(new byte[1], within.Token) == 0;
                }
                catch (IOException) { closed = true; }
                Assert.True(closed, "the node kept reading a 250 MB packet");
            }
            await Eventually.AssertAsync(() =>
            {
                Assert.Contains("its packet announced 262144000 bytes, over the limit", node.Log);
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(10));
            Assert.True(board.IsConnected);
            Assert.True((await board.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/9/reading")
                .WithPayload("""{"device_id":9,"temperature":20,"humidity":50,"seq":1}""").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build())).IsSuccess);
            acknowledged[(9, 1)] = true;

            // Eight boards publish QoS 1 as fast as they are acknowledged; SIGKILL in the middle.
            using var stop = new CancellationTokenSource();
            var boards = Enumerable.Range(1, 8).Select(d => PublishUntilKilledAsync(mqttPort, d, acknowledged, stop.Token)).ToArray();
            await Eventually.AssertAsync(() =>
            {
                Assert.True(acknowledged.Count >= 800, $"{acknowledged.Count} acknowledged so far");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(60));
            node.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(boards);
            board.Dispose();
        }
        output.WriteLine($"{acknowledged.Count} QoS 1 publishes acknowledged before SIGKILL");

        using var restarted = await NodeProcess.StartAsync(dir.Path, "mqtt-crash", httpPort, 0, "--mqtt-port", mqttPort.ToString(), "--auto-register");
        var stored = new HashSet<(int, long)>();
        foreach (var device in acknowledged.Keys.Select(k => k.Device).Distinct())
            foreach (var r in (await (await restarted.Http.GetAsync($"/api/readings/{device}?limit=10000")).ReadJsonAsync()).GetProperty("readings").EnumerateArray())
                stored.Add((device, r.GetProperty("seq").GetInt64()));
        var lost = acknowledged.Keys.Where(k => !stored.Contains(k)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged publishes lost, e.g. {string.Join(", ", lost.Take(5))}");
    }

    /// <summary>Waits until a client holds a subscription on the member (so what is published next reaches it).</summary>
    private static Task SubscribedAsync(NodeProcess member) =>
        Eventually.AssertAsync(async () =>
            Assert.True((await (await member.Http.GetAsync("/api/mqtt")).ReadJsonAsync()).GetProperty("clients").GetInt32() >= 1),
            TimeSpan.FromSeconds(30));

    private static async Task PublishUntilKilledAsync(int port, int device, ConcurrentDictionary<(int, long), bool> acknowledged, CancellationToken stop)
    {
        try
        {
            using var client = await ConnectAsync(port, $"board-{device}");
            for (long seq = 1; !stop.IsCancellationRequested; seq++)
            {
                var message = new MqttApplicationMessageBuilder().WithTopic($"sensors/{device}/reading")
                    .WithPayload($$"""{"device_id":{{device}},"temperature":21.5,"humidity":50,"seq":{{seq}}}""")
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                var ack = await client.PublishAsync(message, stop);
                if (ack.IsSuccess) acknowledged[(device, seq)] = true;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The node was killed: the publish in flight was not acknowledged.
        }
    }

    private static async Task<IMqttClient> ConnectAsync(int port, string clientId)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(clientId)
            .WithTimeout(TimeSpan.FromSeconds(30)).Build());
        return client;
    }

    private static Task<ProcessRun.Ended> Run(string file, params string[] args) => Start(file, args).ToExitAsync(TimeSpan.FromSeconds(60));

    private static Pending Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file);
        foreach (var a in args) info.ArgumentList.Add(a);
        return new Pending(info);
    }

    /// <summary>A process started now whose end is awaited later (a subscriber that must be listening before the publishes).</summary>
    private sealed class Pending(ProcessStartInfo info)
    {
        private readonly Task<ProcessRun.Ended> _run = ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(120));

        public async Task<ProcessRun.Ended> ToExitAsync(TimeSpan within) => await _run.WaitAsync(within);
    }
}
