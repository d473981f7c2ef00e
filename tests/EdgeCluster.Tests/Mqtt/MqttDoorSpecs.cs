using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using Microsoft.Data.Sqlite;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeCluster.Tests.Mqtt;

/// <summary>
/// The MQTT door of a node, through MQTTnet's client over TCP and WebSockets, MQTT 5 and 3.1.1: an acknowledged publish
/// is stored, a bad one is refused naming its field without costing the connection, and one the journal cannot take
/// is not acknowledged.
/// </summary>
[Trait("Category", "Slow")]
public sealed class MqttDoorSpecs : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly int _mqttPort = FreePort.Next();
    private TestNode _node = null!;
    private readonly List<IMqttClient> _clients = [];

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dir.Path, configure: s => s with { MqttPort = _mqttPort });
        await _node.RegisterAsync(1, "ESP32_01");
        await _node.RegisterAsync(7, "sensor_room1");
    }

    public async Task DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<IMqttClient> ConnectAsync(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, bool webSocket = false)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var options = new MqttClientOptionsBuilder().WithClientId(clientId).WithProtocolVersion(version)
            // As the lab's publisher (keepalive=60): a publish the journal holds up (its file locked) waits out SQLite's busy timeout.
            .WithTimeout(TimeSpan.FromSeconds(60)).WithKeepAlivePeriod(TimeSpan.FromSeconds(60));
        options = webSocket
            ? options.WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{_node.Http.BaseAddress!.Port}/mqtt"))
            : options.WithTcpServer("127.0.0.1", _mqttPort);
        await client.ConnectAsync(options.Build());
        return client;
    }

    private static MqttApplicationMessage Message(string topic, string json, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(json).WithQualityOfServiceLevel(qos).Build();

    private async Task<List<long>> SeqsAsync(int device) =>
        (await _node.ReadingsAsync(device)).Where(r => r.TryGetProperty("seq", out _)).Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();

    [Fact]
    public async Task A_qos1_puback_means_the_reading_is_stored_and_readable_at_once_over_tcp_and_websockets()
    {
        var tcp = await ConnectAsync("esp32-1");
        var ack = await tcp.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":22.5,"humidity":61,"seq":1}"""));
        Assert.Equal(MqttClientPublishReasonCode.Success, ack.ReasonCode);
        Assert.Equal([1L], await SeqsAsync(1));

        var ws = await ConnectAsync("esp32-ws", MqttProtocolVersion.V311, webSocket: true);
        Assert.True((await ws.PublishAsync(Message("sensors/1/batch",
            """{"readings":[{"device_id":1,"temperature":22.6,"humidity":61,"seq":2},{"temperature":22.7,"humidity":61,"seq":3}]}"""))).IsSuccess);
        Assert.Equal([1L, 2L, 3L], await SeqsAsync(1));

        // A board that did not get its PUBACK resends: stored once.
        Assert.True((await tcp.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":22.5,"humidity":61,"seq":1}"""))).IsSuccess);
        Assert.Equal([1L, 2L, 3L], await SeqsAsync(1));

        // QoS 2 is acknowledged (PUBREC) once stored, too; QoS 0 is taken best-effort and counted.
        Assert.True((await tcp.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":23,"humidity":61,"seq":4}""",
            MqttQualityOfServiceLevel.ExactlyOnce))).IsSuccess);
        await tcp.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":23,"humidity":61,"seq":5}""", MqttQualityOfServiceLevel.AtMostOnce));
        await Eventually.AssertAsync(async () => Assert.Equal([1L, 2L, 3L, 4L, 5L], await SeqsAsync(1)), TimeSpan.FromSeconds(10));
        var door = await (await _node.Http.GetAsync("/api/mqtt")).ReadJsonAsync();
        Assert.Equal(1, door.GetProperty("qos0").GetInt32());
        Assert.Equal(1, door.GetProperty("qos2").GetInt32());
    }

    [Fact]
    public async Task Publishes_sent_without_waiting_are_stored_side_by_side_and_acknowledged_in_the_order_they_came()
    {
        Assert.True(EdgeCluster.Node.Mqtt.MqttDoor.CanAcknowledgeItself, "this MQTTnet does not let the door acknowledge publishes itself");
        // A bare MQTT 3.1.1 client on a socket: it sends 300 QoS 1 publishes (two devices, interleaved, one a bad payload)
        // without waiting, then reads the PUBACKs. MQTT requires them in the order of the publishes ([MQTT-4.6.0-2]).
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync("127.0.0.1", _mqttPort);
        var stream = socket.GetStream();
        byte[] Packet(byte header, byte[] body)
        {
            var length = new List<byte>();
            var n = body.Length;
            do
            {
                var b = (byte)(n % 128);
                n /= 128;
                length.Add(n > 0 ? (byte)(b | 0x80) : b);
            } while (n > 0);
            return [header, .. length, .. body];
        }
        byte[] Str(string text) => [(byte)(Encoding.UTF8.GetByteCount(text) >> 8), (byte)Encoding.UTF8.GetByteCount(text), .. Encoding.UTF8.GetBytes(text)];
        await stream.WriteAsync(Packet(0x10, [.. Str("MQTT"), 4, 0x02, 0, 60, .. Str("raw-pipeline")]));
        var connAck = new byte[4];
        await stream.ReadExactlyAsync(connAck);
        Assert.Equal([0x20, 2, 0, 0], connAck);

        var sent = new List<ushort>();
        var all = new List<byte>();
        for (ushort id = 1; id <= 300; id++)
        {
            var device = id % 2 == 0 ? 1 : 7;
            var json = id == 150 ? """{"device_id":1,"temperature":"warm"}"""
                : $$"""{"device_id":{{device}},"temperature":21.5,"humidity":50,"seq":{{id}}}""";
            all.AddRange(Packet(0x32, [.. Str($"sensors/{device}/reading"), (byte)(id >> 8), (byte)id, .. Encoding.UTF8.GetBytes(json)]));
            sent.Add(id);
        }
        await stream.WriteAsync(all.ToArray());

        var acked = new List<ushort>();
        var buffer = new byte[4];
        while (acked.Count < sent.Count)
        {
            await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            if (buffer[0] != 0x40) continue; // edge/errors is not subscribed to: only PUBACKs come
            acked.Add((ushort)(buffer[2] << 8 | buffer[3]));
        }
        Assert.Equal(sent, acked);
        Assert.Equal(Enumerable.Range(1, 300).Where(i => i % 2 == 0 && i != 150).Select(i => (long)i), await SeqsAsync(1));
        Assert.Equal(150, (await SeqsAsync(7)).Count);
    }

    [Fact]
    public async Task The_labs_publisher_payload_with_a_device_name_and_a_fractional_unix_time_is_stored()
    {
        var client = await ConnectAsync("edge-sensor-4242", MqttProtocolVersion.V311);
        var at = DateTimeOffset.UtcNow.AddSeconds(-3);
        var json = $$"""{"device_id": "sensor_room1", "timestamp": {{at.ToUnixTimeMilliseconds() / 1000.0:F3}}, "temperature": 19.87, "humidity": 52.1}""";
        Assert.True((await client.PublishAsync(Message("sensors/temperature/room1", json))).IsSuccess);
        var stored = Assert.Single(await _node.ReadingsAsync(7));
        Assert.Equal(19.87, stored.GetProperty("temperature").GetDouble());
        Assert.Equal(at.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(stored.GetProperty("timestamp").GetString()!).ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task A_bad_payload_is_refused_naming_the_field_and_the_connection_stays_up()
    {
        // MQTT 5: the PUBACK says why.
        var v5 = await ConnectAsync("board-v5");
        var bad = await v5.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":"hot","humidity":61}"""));
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, bad.ReasonCode);
        Assert.StartsWith("temperature:", bad.ReasonString);
        var batch = await v5.PublishAsync(Message("sensors/1/batch", """{"readings":[{"device_id":1,"temperature":20,"humidity":61},{"device_id":1,"temperature":20,"humidity":161}]}"""));
        Assert.StartsWith("readings[1].humidity:", batch.ReasonString);
        var notJson = await v5.PublishAsync(Message("sensors/1/reading", "22.5,61"));
        Assert.StartsWith("payload:", notJson.ReasonString);
        var unknown = await v5.PublishAsync(Message("sensors/99/reading", """{"device_id":99,"temperature":20,"humidity":61}"""));
        Assert.Equal(MqttClientPublishReasonCode.ImplementationSpecificError, unknown.ReasonCode);
        Assert.StartsWith("device_id: Device 99 not found", unknown.ReasonString);
        var unknownName = await v5.PublishAsync(Message("sensors/temperature/attic", """{"device_id":"attic","temperature":20,"humidity":61}"""));
        Assert.StartsWith("device_id: device 'attic' is not registered", unknownName.ReasonString);
        var edgeTopic = await v5.PublishAsync(Message("edge/status/1", "offline"));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, edgeTopic.ReasonCode);
        Assert.True(v5.IsConnected);
        Assert.True((await v5.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":61,"seq":10}"""))).IsSuccess);

        // MQTT 3.1.1 has no negative acknowledgement: PUBACK, and the reason on edge/errors/{client_id}.
        var v3 = await ConnectAsync("board-v3", MqttProtocolVersion.V311);
        var errors = new ConcurrentQueue<JsonElement>();
        v3.ApplicationMessageReceivedAsync += e =>
        {
            errors.Enqueue(JsonDocument.Parse(e.ApplicationMessage.Payload.ToArray<byte>()).RootElement.Clone());
            return Task.CompletedTask;
        };
        await v3.SubscribeAsync("edge/errors/board-v3", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.True((await v3.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":-5}"""))).IsSuccess);
        await Eventually.AssertAsync(() =>
        {
            var error = Assert.Single(errors);
            Assert.Equal("humidity", error.GetProperty("field").GetString());
            Assert.Equal("sensors/1/reading", error.GetProperty("topic").GetString());
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));
        Assert.True(v3.IsConnected);
        Assert.Equal([10L], await SeqsAsync(1));
        Assert.Equal(7, (await (await _node.Http.GetAsync("/api/mqtt")).ReadJsonAsync()).GetProperty("rejected").GetInt32());
    }

    [Fact]
    public async Task A_publish_the_journal_cannot_take_is_not_acknowledged_and_its_resend_is_stored_once()
    {
        var v5 = await ConnectAsync("outage-v5");
        var v3 = await ConnectAsync("outage-v3", MqttProtocolVersion.V311);
        using (var lockHolder = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "journal.db")};Pooling=False"))
        {
            lockHolder.Open();
            using (var begin = lockHolder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }
            // Both wait out the ingest timeout at once.
            var v5Publish = v5.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":50,"seq":1}"""));
            var v3Publish = v3.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":50,"seq":2}"""));
            var refused = await v5Publish;
            Assert.Equal(MqttClientPublishReasonCode.UnspecifiedError, refused.ReasonCode);
            Assert.Contains("journal unavailable", refused.ReasonString);
            // MQTT 3.1.1 cannot be told: no PUBACK, the connection closes, the client sends it again later.
            await Assert.ThrowsAnyAsync<Exception>(() => v3Publish);
            Assert.False(v3.IsConnected);
            Assert.Empty(await SeqsAsync(1));
            using var rollback = lockHolder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        await Eventually.AssertAsync(async () =>
            Assert.True((await v5.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":50,"seq":1}"""))).IsSuccess),
            TimeSpan.FromSeconds(60));
        // As a 3.1.1 board does: reconnect and send again until it gets its PUBACK (the journal may still be recovering).
        var attempt = 0;
        await Eventually.AssertAsync(async () =>
        {
            var again = await ConnectAsync($"outage-v3-{++attempt}", MqttProtocolVersion.V311);
            Assert.True((await again.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":21,"humidity":50,"seq":2}"""))).IsSuccess);
        }, TimeSpan.FromSeconds(60));
        Assert.Equal([1L, 2L], await SeqsAsync(1));
    }

    [Fact]
    public async Task Subscribers_get_each_stored_reading_once_alerts_and_retained_device_status()
    {
        var watcher = await ConnectAsync("dashboard");
        var received = new ConcurrentQueue<(string Topic, string Payload, bool Retain)>();
        watcher.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload.ToArray<byte>()), e.ApplicationMessage.Retain));
            return Task.CompletedTask;
        };
        await watcher.SubscribeAsync("sensors/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await watcher.SubscribeAsync("edge/alerts/#", MqttQualityOfServiceLevel.AtLeastOnce);

        // Device 1 reports every minute: it stays online through the test (device 7 never reported).
        Assert.True((await _node.Http.PostAsJsonAsync("/api/devices", new { device_id = 1, name = "ESP32_01", interval_s = 60 })).IsSuccessStatusCode);
        var board = await ConnectAsync("esp32-1");
        await board.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":22,"humidity":50,"seq":1}"""));
        await board.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":22,"humidity":50,"seq":1}""")); // resend
        await board.PublishAsync(Message("sensors/1/reading", """{"device_id":1,"temperature":31.5,"humidity":50,"seq":2}"""));
        // HTTP readings reach MQTT subscribers too: one store, two doors.
        await _node.PostReadingAsync(1, 9.5, 50, seq: 3);
        await Eventually.AssertAsync(() =>
        {
            var readings = received.Where(m => m.Topic == "sensors/1/reading").Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
            Assert.Equal([1L, 2L, 3L], readings.Select(r => r.GetProperty("seq").GetInt64()));
            var alerts = received.Where(m => m.Topic == "edge/alerts/1").Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
            Assert.Equal([31.5, 9.5], alerts.Select(a => a.GetProperty("temperature").GetDouble()));
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));

        // The status is retained: a client subscribing later still gets it.
        var late = await ConnectAsync("late-subscriber", MqttProtocolVersion.V311);
        var status = new ConcurrentQueue<(string Topic, string Payload, bool Retain)>();
        late.ApplicationMessageReceivedAsync += e =>
        {
            status.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload.ToArray<byte>()), e.ApplicationMessage.Retain));
            return Task.CompletedTask;
        };
        await Task.Delay(TimeSpan.FromSeconds(3)); // one status round
        await late.SubscribeAsync("edge/status/+", MqttQualityOfServiceLevel.AtLeastOnce);
        await Eventually.AssertAsync(() =>
        {
            Assert.Contains(("edge/status/1", "online", true), status);
            Assert.Contains(("edge/status/7", "offline", true), status);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_board_gone_without_disconnect_is_offline_at_once_and_online_again_when_it_is_heard_from()
    {
        Assert.True((await _node.Http.PostAsJsonAsync("/api/devices", new { device_id = 1, name = "ESP32_01", interval_s = 60 })).IsSuccessStatusCode);
        Assert.True((await _node.Http.PostAsJsonAsync("/api/devices", new { device_id = 7, name = "sensor_room1", interval_s = 60 })).IsSuccessStatusCode);
        async Task<string> StatusAsync(int id) =>
            (await (await _node.Http.GetAsync($"/api/devices/{id}")).ReadJsonAsync()).GetProperty("status").GetString()!;

        // A board that says goodbye (DISCONNECT) stays online until its interval says otherwise.
        var polite = await ConnectAsync("esp32-7");
        Assert.True((await polite.PublishAsync(Message("sensors/7/reading", """{"device_id":7,"temperature":21,"humidity":50,"seq":1}"""))).IsSuccess);
        await polite.DisconnectAsync();

        // A board whose connection breaks: its process dies, the kernel closes the socket, no DISCONNECT.
        var board = Process.Start(new ProcessStartInfo("mosquitto_pub", $"-h 127.0.0.1 -p {_mqttPort} -i esp32-1 -q 1 -t sensors/1/reading -l")
            { RedirectStandardInput = true, UseShellExecute = false })!;
        await board.StandardInput.WriteLineAsync("""{"device_id":1,"temperature":21,"humidity":50,"seq":1}""");
        await board.StandardInput.FlushAsync();
        await Eventually.AssertAsync(async () => Assert.Equal([1L], await SeqsAsync(1)), TimeSpan.FromSeconds(10));
        Assert.Equal("online", await StatusAsync(1));
        board.Kill();
        await board.WaitForExitAsync();

        await Eventually.AssertAsync(async () => Assert.Equal("offline", await StatusAsync(1)), TimeSpan.FromSeconds(10));
        var offline = (await (await _node.Http.GetAsync("/api/devices?status=offline")).ReadJsonAsync()).GetProperty("devices");
        Assert.Equal([1], offline.EnumerateArray().Select(d => d.GetProperty("device_id").GetInt32()));
        Assert.Equal("online", await StatusAsync(7));

        // Heard from again (over HTTP, even): online.
        await _node.PostReadingAsync(1, 21, 50, seq: 2);
        Assert.Equal("online", await StatusAsync(1));
    }
}
