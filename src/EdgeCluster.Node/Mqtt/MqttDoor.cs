using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Contracts;
using EdgeCluster.Node.Http;
using EdgeCluster.Storage;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Packets;
using MQTTnet.Server;
using MQTTnet.Server.Internal;
using static EdgeCluster.Actors.Devices.IngestProtocol;
using Akka.Actor;

namespace EdgeCluster.Node.Mqtt;

/// <summary>
/// The MQTT door: MQTTnet's broker in the node, whose acknowledgement of a QoS 1 publish (PUBACK; PUBREC for QoS 2) goes
/// out only once the readings are durable in the journal, through the same ingest path as HTTP. A publish that cannot be
/// stored gets a failure reason code (MQTT 5) or no acknowledgement at all (MQTT 3.1.1: the connection is closed, so the
/// device sends it again); a bad payload never reaches the journal and never costs a well-behaved device its connection.
/// Subscribers get readings from what this member stored (<see cref="MqttFanOut"/>), not from the publishes themselves.
/// </summary>
public sealed class MqttDoor(MqttServer server, ActorSystem system, IRequiredActor<DeviceManagerActor> devices, IRequiredActor<ConnectionDropsActor> drops,
    ReadModelStore store, IngestSettings ingest, DeviceAuth auth, IngestLimits limits, NodeSettings settings, ILogger<MqttDoor> log)
{
    /// <summary>With device tokens on, the username of a client that logs in with the admin token: it may subscribe, not publish readings.</summary>
    public const string AdminUser = "admin";
    private const string DeviceKey = "edge.device";

    private static readonly System.Reflection.FieldInfo? ConnectPacket =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);
    /// <summary>The client id the node publishes its own messages (stored readings, status, alerts, errors) under.</summary>
    public const string NodeClientId = "$edgecluster";
    private const string V5Key = "edge.mqtt5";
    private const string DevicesKey = "edge.devices";
    private const string AckWindowKey = "edge.ackwindow";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _subscriptions = new();
    private readonly ConcurrentDictionary<string, int> _namesToIds = new(StringComparer.Ordinal);
    private long _stored, _rejected, _refused, _qos0, _qos1, _qos2, _delivered;

    public MqttServer Server => server;

    public void Attach()
    {
        server.ValidatingConnectionAsync += OnValidatingAsync;
        server.InterceptingPublishAsync += OnPublishAsync;
        server.InterceptingInboundPacketAsync += OnInboundPacketAsync;
        server.ClientSubscribedTopicAsync += e =>
        {
            _subscriptions.GetOrAdd(e.ClientId, _ => new ConcurrentDictionary<string, byte>())[e.TopicFilter.Topic] = 0;
            return Task.CompletedTask;
        };
        server.ClientUnsubscribedTopicAsync += e =>
        {
            if (_subscriptions.TryGetValue(e.ClientId, out var filters)) filters.TryRemove(e.TopicFilter, out _);
            return Task.CompletedTask;
        };
        server.ClientDisconnectedAsync += e =>
        {
            _subscriptions.TryRemove(e.ClientId, out _);
            // A board gone without DISCONNECT (its TCP connection broke, its keep-alive expired): the devices it carried are
            // offline now, on every member, not five intervals from now. Its Last Will, if it set one, MQTTnet delivers.
            if (e.DisconnectType == MqttClientDisconnectType.NotClean && e.SessionItems[DevicesKey] is HashSet<int> carried)
            {
                int[] ids;
                lock (carried) ids = carried.ToArray();
                if (ids.Length > 0)
                {
                    log.LogInformation("MQTT client {Client} dropped without DISCONNECT ({Type}); devices {Devices} are offline",
                        e.ClientId, e.DisconnectType, string.Join(", ", ids));
                    drops.ActorRef.Tell(new ConnectionDrops.Dropped(ids, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
                }
            }
            return Task.CompletedTask;
        };
    }

    public MqttView View(int? port) => new(true, port, "/mqtt", _subscriptions.Count, Interlocked.Read(ref _stored), Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _refused), Interlocked.Read(ref _qos0), Interlocked.Read(ref _qos1), Interlocked.Read(ref _qos2), Interlocked.Read(ref _delivered));

    /// <summary>Whether any connected client has a subscription that <paramref name="topic"/> matches: publishing for no one is skipped.</summary>
    public bool AnyoneSubscribedTo(string topic) =>
        _subscriptions.Values.Any(filters => filters.Keys.Any(f => MqttTopicFilterComparer.Compare(topic, f) == MqttTopicFilterCompareResult.IsMatch));

    /// <summary>Publishes the node's own message to this member's subscribers.</summary>
    public Task PublishAsync(string topic, object body, bool retain = false) =>
        PublishAsync(topic, JsonSerializer.SerializeToUtf8Bytes(body, ApiJson.Options), retain);

    public Task PublishAsync(string topic, byte[] payload, bool retain = false)
    {
        Interlocked.Increment(ref _delivered);
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithRetainFlag(retain)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        return server.InjectApplicationMessage(new InjectedMqttApplicationMessage(message) { SenderClientId = NodeClientId });
    }

    /// <summary>
    /// The credentials hook: today anyone on the lab network may connect, as with HTTP; the device-token policy plugs in
    /// here. The node's own client id is refused to everyone else.
    /// </summary>
    private Task OnValidatingAsync(ValidatingConnectionEventArgs e)
    {
        if (e.ClientId == NodeClientId)
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            e.ReasonString = $"client id {NodeClientId} is the node's own";
            return Task.CompletedTask;
        }
        // An empty client id (mosquitto_pub without -i sends one) asks the broker for one, as MQTT 5 and 3.1.1 allow with
        // a clean session ([MQTT-3.1.3-6]). MQTTnet 5 assigns one only to MQTT 5 clients and refuses a 3.1.1 client
        // ("identifier rejected"), so the 3.1.1 client's CONNECT gets the assigned id itself.
        if (string.IsNullOrEmpty(e.ClientId))
        {
            var assigned = "edge-" + Guid.NewGuid().ToString("N")[..12];
            e.AssignedClientIdentifier = assigned;
            if (e.ProtocolVersion != MqttProtocolVersion.V500 && e.CleanSession == true
                && ConnectPacket?.GetValue(e) is MQTTnet.Packets.MqttConnectPacket packet)
                packet.ClientId = assigned;
        }
        if (auth.TokensRequired)
        {
            // Devices log in as themselves (username their id or name, password their token); the admin token lets a
            // subscriber in (a dashboard, the lab's cloud aggregator), which may not publish readings.
            if (e.UserName == AdminUser && settings.AdminToken is { } admin && e.Password is { Length: > 0 } given
                && AdminEndpoints.IsAdminToken(admin, given))
                e.SessionItems[DeviceKey] = 0;
            else if (auth.Login(e.UserName, e.Password) is { } device) e.SessionItems[DeviceKey] = device.DeviceId;
            else
            {
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
                e.ReasonString = "username must be a registered device's id or name and password its token";
                log.LogInformation("MQTT client {Client} refused: bad username or password (username {User})", e.ClientId, e.UserName);
                return Task.CompletedTask;
            }
        }
        e.SessionItems[V5Key] = e.ProtocolVersion == MqttProtocolVersion.V500;
        return Task.CompletedTask;
    }

    /// <summary>A publish MQTTnet hands to the door itself: QoS 2, and what the ack window does not take.</summary>
    private async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        if (e.ClientId == NodeClientId) return;
        var message = e.ApplicationMessage;
        var publish = new MqttPublish(e.ClientId, message.Topic, message.Payload, message.QualityOfServiceLevel, e.SessionItems);
        await RunAsync(publish);
        e.ProcessPublish = publish.ProcessPublish;
        e.CloseConnection = publish.Close;
        if (publish.ReasonCode != MqttPubAckReasonCode.Success || publish.ReasonString is not null)
        {
            e.Response.ReasonCode = publish.ReasonCode;
            e.Response.ReasonString = publish.ReasonString;
        }
    }

    /// <summary>
    /// A QoS 0 or 1 publish of readings, taken before MQTTnet handles it: the connection's <see cref="MqttAckWindow"/>
    /// runs it beside the connection's other publishes and sends its PUBACK, in order, once it is stored. Any other packet
    /// of a connection with publishes in its window waits until they are acknowledged, so acknowledgements stay in order.
    /// </summary>
    private async Task OnInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is not MqttPublishPacket packet || e.ClientId == NodeClientId) return;
        var window = e.SessionItems[AckWindowKey] as MqttAckWindow;
        var client = packet.QualityOfServiceLevel != MqttQualityOfServiceLevel.ExactlyOnce && packet.TopicAlias == 0
            && MqttReadings.IsSensorTopic(packet.Topic) ? ClientOf(e.ClientId) : null;
        if (client is null)
        {
            if (window is not null) await window.DrainAsync(e.CancellationToken);
            return;
        }
        if (window is null || !window.Serves(client)) e.SessionItems[AckWindowKey] = window = new MqttAckWindow(client, log);
        e.ProcessPacket = false;
        // The packet's payload may sit in the connection's receive buffer: the publish keeps a copy of its own.
        var publish = new MqttPublish(e.ClientId, packet.Topic, new ReadOnlySequence<byte>(packet.Payload.ToArray()),
            packet.QualityOfServiceLevel, e.SessionItems);
        await window.AddAsync(packet.PacketIdentifier, publish, RunAsync, e.CancellationToken);
    }

    /// <summary>The connection behind a client id, to send it acknowledgements; null when MQTTnet's internals are not as expected.</summary>
    private MqttConnectedClient? ClientOf(string clientId)
    {
        if (SessionsManager?.GetValue(server) is not MqttClientSessionsManager sessions) return null;
        try
        {
            return sessions.GetClient(clientId);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static readonly System.Reflection.FieldInfo? SessionsManager =
        typeof(MqttServer).GetField("_clientSessionsManager", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

    /// <summary>Whether this MQTTnet lets the door find a connection to acknowledge its publishes itself (else: one at a time).</summary>
    public static bool CanAcknowledgeItself => SessionsManager?.FieldType == typeof(MqttClientSessionsManager);

    /// <summary>
    /// A fault of the node's own while it handles a publish is logged and answered as "not stored" (resent by the device,
    /// deduplicated by its seq if it was stored after all), rather than left to MQTTnet, which would drop the connection
    /// without a word.
    /// </summary>
    private async Task<MqttPublish> RunAsync(MqttPublish publish)
    {
        try
        {
            await HandlePublishAsync(publish);
        }
        catch (Exception fault)
        {
            log.LogError(fault, "MQTT publish of {Client} on {Topic} not handled", publish.ClientId, publish.Topic);
            publish.ProcessPublish = false;
            NotStored(publish, MqttPubAckReasonCode.UnspecifiedError, $"the node failed to handle it ({fault.GetType().Name}); send it again");
        }
        return publish;
    }

    private async Task HandlePublishAsync(MqttPublish e)
    {
        var topic = e.Topic;
        if (topic.StartsWith("edge/", StringComparison.Ordinal))
        {
            await RejectAsync(e, "topic", $"topics under edge/ are the node's own; publish readings under {MqttReadings.Root}/",
                MqttPubAckReasonCode.NotAuthorized);
            return;
        }
        if (!MqttReadings.IsSensorTopic(topic)) return; // any other topic: an ordinary broker

        e.ProcessPublish = false; // subscribers get the reading once stored, from the read model
        switch (e.QualityOfService)
        {
            case MqttQualityOfServiceLevel.AtMostOnce: Interlocked.Increment(ref _qos0); break;
            case MqttQualityOfServiceLevel.AtLeastOnce: Interlocked.Increment(ref _qos1); break;
            default: Interlocked.Increment(ref _qos2); break;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (readings, problem) = MqttReadings.Parse(topic, e.Payload, now, DeviceByName);
        if (problem is not null)
        {
            EdgeMetrics.Refused("mqtt", "invalid");
            await RejectAsync(e, problem.Field, problem.Message, MqttPubAckReasonCode.PayloadFormatInvalid);
            return;
        }

        if (auth.TokensRequired && e.SessionItems[DeviceKey] is int owner)
        {
            var batch = readings!.Count > 1 || topic.EndsWith("/batch", StringComparison.Ordinal);
            var other = readings.Select((r, i) => (r.DeviceId, Index: i)).FirstOrDefault(r => r.DeviceId != owner);
            if (other != default || owner == 0)
            {
                EdgeMetrics.Refused("mqtt", "forbidden");
                var index = other == default ? 0 : other.Index;
                await RejectAsync(e, batch ? $"readings[{index}].device_id" : "device_id",
                    owner == 0 ? "the admin login may subscribe, not publish readings"
                        : $"this connection is device {owner}'s; it may publish only device {owner}'s readings, not device {readings[index].DeviceId}'s",
                    MqttPubAckReasonCode.NotAuthorized);
                return;
            }
        }
        // A client (or a device) over its share: nothing of the publish is stored; MQTT 5 hears "quota exceeded".
        var wait = limits.Sender(e.ClientId) ?? limits.Devices(readings!)?.Wait;
        if (wait is not null)
        {
            EdgeMetrics.Refused("mqtt", "rate_limited");
            NotStored(e, MqttPubAckReasonCode.QuotaExceeded,
                $"rate limited: more than {limits.PerSender} publishes a second from this client or {limits.PerDevice} readings a second from a device; not stored, send it again in {Math.Ceiling(wait.Value.TotalSeconds)} s");
            return;
        }
        var result = await Ingestion.IngestAsync(system, devices.ActorRef, readings!, ingest, "mqtt");
        switch (result)
        {
            case Accepted:
                Interlocked.Add(ref _stored, readings!.Count);
                if (e.SessionItems[DevicesKey] is not HashSet<int> carried) e.SessionItems[DevicesKey] = carried = [];
                lock (carried) carried.UnionWith(readings.Select(r => r.DeviceId));
                break;
            case DeviceNotFound nf:
                var field = readings!.Count > 1 || topic.EndsWith("/batch", StringComparison.Ordinal) ? $"readings[{nf.Index}].device_id" : "device_id";
                await RejectAsync(e, field, $"Device {nf.DeviceId} not found: register it with POST /api/devices", MqttPubAckReasonCode.ImplementationSpecificError);
                break;
            case Unavailable u:
                // Not stored (or not known to be): the device must send it again.
                log.LogWarning("MQTT publish of {Client} on {Topic} not stored: {Reason}", e.ClientId, topic, u.Reason);
                NotStored(e, MqttPubAckReasonCode.UnspecifiedError, $"journal unavailable: {u.Reason}; not stored, send it again");
                break;
        }
    }

    private static bool IsV5(MqttPublish e) => e.SessionItems[V5Key] is true;

    /// <summary>
    /// A publish not stored, which the device must send again: MQTT 5 hears it in the PUBACK's reason code; an MQTT 3.1.1
    /// client, which cannot be told, gets no PUBACK (the connection closes) and resends on reconnect.
    /// </summary>
    private void NotStored(MqttPublish e, MqttPubAckReasonCode code, string reason)
    {
        Interlocked.Increment(ref _refused);
        if (IsV5(e))
        {
            e.ReasonCode = code;
            e.ReasonString = reason;
        }
        else e.Close = true;
    }

    /// <summary>A publish refused for what it holds: MQTT 5 hears why in its PUBACK; MQTT 3.1.1 gets its PUBACK and the reason on edge/errors/{client}.</summary>
    private async Task RejectAsync(MqttPublish e, string field, string message, MqttPubAckReasonCode code)
    {
        Interlocked.Increment(ref _rejected);
        e.ProcessPublish = false;
        if (IsV5(e))
        {
            e.ReasonCode = code;
            e.ReasonString = $"{field}: {message}";
        }
        else await PublishAsync($"edge/errors/{e.ClientId}", new PublishError(message, field, e.Topic));
    }

    /// <summary>A registered device's id by its name; a cached id is checked against the registry, so a renamed device is found again.</summary>
    private int? DeviceByName(string name)
    {
        if (_namesToIds.TryGetValue(name, out var id) && store.Devices.Get(id)?.Name == name) return id;
        _namesToIds.TryRemove(name, out _);
        if (store.Devices.FindByName(name) is not { } device) return null;
        _namesToIds[name] = device.DeviceId;
        return device.DeviceId;
    }
}
