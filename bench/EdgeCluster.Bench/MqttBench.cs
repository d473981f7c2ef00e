using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Protocol;

/// <summary>The MQTT door's latency across members (bench/mqtt.sh): publish on one member, receive on another's subscriber.</summary>
public static class MqttBench
{
    /// <summary>
    /// One QoS 1 reading at a time on <paramref name="publishPort"/>'s member, timed from the publish call until a subscriber
    /// of <paramref name="subscribePort"/>'s member receives it (after replication); p50/p99 over the samples.
    /// </summary>
    public static async Task<int> LatencyAsync(int publishPort, int subscribePort, int samples)
    {
        var factory = new MqttClientFactory();
        using var subscriber = factory.CreateMqttClient();
        using var publisher = factory.CreateMqttClient();
        var arrived = new ConcurrentDictionary<long, long>();
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            using var json = JsonDocument.Parse(e.ApplicationMessage.Payload.ToArray());
            if (json.RootElement.TryGetProperty("seq", out var seq)) arrived[seq.GetInt64()] = Stopwatch.GetTimestamp();
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", subscribePort).WithClientId("latency-subscriber").Build());
        await subscriber.SubscribeAsync("sensors/1/reading", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", publishPort).WithClientId("latency-board").Build());

        var random = new Random(3);
        var latencies = new List<double>();
        var first = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < samples; i++)
        {
            var seq = first + i;
            var sent = Stopwatch.GetTimestamp();
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic("sensors/1/reading")
                .WithPayload($$"""{"device_id":1,"temperature":21.5,"humidity":50,"seq":{{seq}}}""")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
            long at;
            while (!arrived.TryGetValue(seq, out at))
            {
                if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"reading {seq} never reached the other member's subscriber");
                await Task.Delay(2);
            }
            latencies.Add(Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds);
            await Task.Delay(random.Next(0, 100));
        }
        latencies.Sort();
        double At(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine($"mqtt-latency samples={samples} p50_ms={At(0.5):F0} p99_ms={At(0.99):F0} max_ms={latencies[^1]:F0} (publish on one member, subscriber on another)");
        return 0;
    }
}
