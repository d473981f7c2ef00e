using System.Buffers;
using System.Collections;
using MQTTnet.Internal;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;
using MQTTnet.Server.Internal;

namespace EdgeCluster.Node.Mqtt;

/// <summary>One publish as the door handles it, and the door's answer: the acknowledgement's reason, or closing the connection.</summary>
public sealed class MqttPublish(string clientId, string topic, ReadOnlySequence<byte> payload, MqttQualityOfServiceLevel qualityOfService,
    IDictionary sessionItems)
{
    public string ClientId { get; } = clientId;
    public string Topic { get; } = topic;
    public ReadOnlySequence<byte> Payload { get; } = payload;
    public MqttQualityOfServiceLevel QualityOfService { get; } = qualityOfService;
    public IDictionary SessionItems { get; } = sessionItems;

    /// <summary>Whether MQTTnet should hand the message to subscribers as an ordinary broker does (topics outside the door's).</summary>
    public bool ProcessPublish { get; set; } = true;

    public MqttPubAckReasonCode ReasonCode { get; set; } = MqttPubAckReasonCode.Success;
    public string? ReasonString { get; set; }

    /// <summary>Not stored, and the client cannot be told (MQTT 3.1.1): no acknowledgement, the connection closes, the device resends.</summary>
    public bool Close { get; set; }
}

/// <summary>
/// A connection's publishes handled side by side, acknowledged in the order they came. MQTTnet handles a connection's
/// packets one after another and sends a PUBACK when the handler returns, so a board could have one publish in the
/// journal at a time: a connection's rate was one reading per journal round trip, whatever the board's in-flight window
/// (mosquitto_pub's is 20). Here a publish is taken from MQTTnet on arrival, up to <see cref="Size"/> of one connection
/// are stored at once (their journal writes group-commit together), and each PUBACK goes out when its publish and every
/// publish before it are answered: a PUBACK still means stored, and they leave in order, as MQTT requires
/// ([MQTT-4.6.0-2]). A full window stops reading the connection until the oldest is acknowledged.
/// </summary>
public sealed class MqttAckWindow(MqttConnectedClient client, ILogger log)
{
    /// <summary>Publishes of one connection being stored at once.</summary>
    public const int Size = 64;

    private sealed class Pending(ushort packetId)
    {
        public ushort PacketId { get; } = packetId;
        public MqttPublish? Answer { get; set; }
    }

    private readonly SemaphoreSlim _room = new(Size, Size);
    private readonly Queue<Pending> _pending = new();
    private bool _closed;

    /// <summary>Whether this window belongs to that connection (a client that connects again with its id gets a new one).</summary>
    public bool Serves(MqttConnectedClient connection) => ReferenceEquals(client, connection);

    /// <summary>Starts the publish once the window has room; returns without waiting for it to be stored.</summary>
    public async Task AddAsync(ushort packetId, MqttPublish publish, Func<MqttPublish, Task<MqttPublish>> handle, CancellationToken cancellationToken)
    {
        await _room.WaitAsync(cancellationToken);
        var pending = new Pending(packetId);
        lock (_pending) _pending.Enqueue(pending);
        _ = RunAsync(pending, publish, handle);
    }

    private async Task RunAsync(Pending pending, MqttPublish publish, Func<MqttPublish, Task<MqttPublish>> handle)
    {
        pending.Answer = await handle(publish);
        Acknowledge();
    }

    /// <summary>Returns once every publish in the window is acknowledged.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var taken = 0;
        try
        {
            for (; taken < Size; taken++) await _room.WaitAsync(cancellationToken);
        }
        finally
        {
            if (taken > 0) _room.Release(taken);
        }
    }

    private void Acknowledge()
    {
        lock (_pending)
        {
            while (_pending.TryPeek(out var head) && head.Answer is { } answer)
            {
                _pending.Dequeue();
                Send(head, answer);
                _room.Release();
            }
        }
    }

    private void Send(Pending pending, MqttPublish answer)
    {
        // A connection that closed (or was taken over by a new one with its id) hears nothing more: the device resends
        // what it did not see acknowledged, and its seqs make that harmless.
        if (_closed || !client.IsRunning || client.IsTakenOver) return;
        if (answer.Close)
        {
            _closed = true;
            _ = CloseAsync();
            return;
        }
        if (answer.QualityOfService == MqttQualityOfServiceLevel.AtMostOnce) return;
        client.Session.EnqueueControlPacket(new MqttPacketBusItem(new MqttPubAckPacket
        {
            PacketIdentifier = pending.PacketId,
            ReasonCode = answer.ReasonCode,
            ReasonString = answer.ReasonString,
        }));
    }

    private async Task CloseAsync()
    {
        try
        {
            await client.StopAsync(new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.UnspecifiedError });
        }
        catch (Exception e)
        {
            log.LogDebug(e, "MQTT: closing the connection of {Client} after a publish that was not stored", client.Id);
        }
    }
}
