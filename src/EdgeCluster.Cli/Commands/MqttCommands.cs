using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeCluster.Cli.Commands;

/// <summary>
/// <c>edgectl &lt;member&gt; mqtt pub | tail</c>: the member's MQTT door, as a board and as a subscriber see it, through MQTT
/// over WebSockets on the member's HTTP port (so the member's address is all it needs).
/// </summary>
public static class MqttCommands
{
    public static Command Build()
    {
        var (device, temperature, humidity, seq) = CommonOptions.Reading();
        var qos = CommonOptions.Choice("--qos", "quality of service: 0, 1 (default: acknowledged once stored) or 2", "0", "1", "2");
        var topic = new Argument<string>("topic") { Description = "topic filter (default sensors/#; edge/# for status, alerts and errors)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "sensors/#" };
        var count = new Option<int?>("--count") { Description = "stop after this many messages (default: until Ctrl-C)" };
        var tailFor = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");
        var deviceToken = CommonOptions.DeviceToken();

        return new Command("mqtt", "the member's MQTT door").With(
            new Command("pub", "publish one reading as a board does, and say how the member acknowledged it").With(device, temperature, humidity, qos, seq, deviceToken)
                .WithMember(async (p, client) =>
                {
                    var number = p.GetValue(device);
                    if (number != Math.Floor(number) || number < 1) throw CliException.Usage($"device '{number}' must be a positive whole number");
                    var id = (long)number;
                    // With device tokens on, a board logs in as itself: username its id, password its token.
                    using var mqtt = await ConnectAsync(client, "edgectl-pub", p.GetValue(deviceToken) is { } token ? (id.ToString(CultureInfo.InvariantCulture), token) : null);
                    var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["device_id"] = id, ["temperature"] = p.GetValue(temperature), ["humidity"] = p.GetValue(humidity), ["seq"] = p.GetValue(seq),
                    }.Where(kv => kv.Value is not null).ToDictionary());
                    var level = (MqttQualityOfServiceLevel)int.Parse(p.GetValue(qos) ?? "1", CultureInfo.InvariantCulture);
                    var result = await mqtt.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"sensors/{id}/reading").WithPayload(json)
                        .WithQualityOfServiceLevel(level).Build());
                    if (p.GetValue(CommonOptions.Json)) Output.Write(new { topic = $"sensors/{id}/reading", reason_code = result.ReasonCode.ToString(), result.ReasonString });
                    else if (level == MqttQualityOfServiceLevel.AtMostOnce) Output.Out.WriteLine($"sent to sensors/{id}/reading (QoS 0: not acknowledged)");
                    else Output.Out.WriteLine(result.IsSuccess
                        ? $"stored: sensors/{id}/reading acknowledged ({result.ReasonCode})"
                        : $"refused: {result.ReasonCode}: {result.ReasonString}");
                    await mqtt.DisconnectAsync();
                    return result.IsSuccess ? 0 : 1;
                }),
            new Command("tail", "print what the member's subscribers receive: stored readings, device status, alerts").With(topic, count, tailFor)
                .WithMember(async (p, client) =>
                {
                    using var mqtt = await ConnectAsync(client, "edgectl-tail-" + Guid.NewGuid().ToString("N")[..8]);
                    var left = p.GetValue(count) ?? int.MaxValue;
                    var done = new TaskCompletionSource();
                    var gate = new Lock();
                    mqtt.ApplicationMessageReceivedAsync += e =>
                    {
                        lock (gate)
                        {
                            if (left <= 0) return Task.CompletedTask;
                            var payload = Encoding.UTF8.GetString(e.ApplicationMessage.Payload.ToArray());
                            Output.Out.WriteLine(p.GetValue(CommonOptions.Json)
                                ? System.Text.Json.JsonSerializer.Serialize(new { topic = e.ApplicationMessage.Topic, payload, retained = e.ApplicationMessage.Retain })
                                : $"{e.ApplicationMessage.Topic} {payload}");
                            Output.Out.Flush();
                            if (--left == 0) done.TrySetResult();
                        }
                        return Task.CompletedTask;
                    };
                    await mqtt.SubscribeAsync(p.GetValue(topic)!, MqttQualityOfServiceLevel.AtLeastOnce);
                    var seconds = p.GetValue(tailFor);
                    await (double.IsPositiveInfinity(seconds) ? done.Task : Task.WhenAny(done.Task, Task.Delay(TimeSpan.FromSeconds(seconds))));
                    return 0;
                }));
    }

    private static async Task<IMqttClient> ConnectAsync(EdgeClient member, string clientId, (string User, string Password)? login = null)
    {
        var mqtt = new MqttClientFactory().CreateMqttClient();
        try
        {
            var options = new MqttClientOptionsBuilder().WithClientId(clientId)
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                .WithWebSocketServer(o => o.WithUri(member.MqttWebSocket.ToString())).WithTimeout(TimeSpan.FromSeconds(15));
            if (login is { } l) options = options.WithCredentials(l.User, l.Password);
            var connected = await mqtt.ConnectAsync(options.Build());
            if (connected.ResultCode != MqttClientConnectResultCode.Success)
                throw new CliException($"{member.Target}: the MQTT door refused the connection: {connected.ResultCode} {connected.ReasonString}"
                    + (connected.ResultCode == MqttClientConnectResultCode.BadUserNameOrPassword ? "; pass --device-token or set EDGE_DEVICE_TOKEN" : ""));
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            mqtt.Dispose();
            throw new CliException($"{member.Target}: no MQTT door at {member.MqttWebSocket} ({e.Message}); is the member started with --mqtt-port 0?");
        }
        return mqtt;
    }
}
