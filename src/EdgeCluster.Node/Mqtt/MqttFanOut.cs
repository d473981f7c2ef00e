using System.Text.Json;
using Akka.Actor;
using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.ReadModel.ReadModelProtocol;

namespace EdgeCluster.Node.Mqtt;

/// <summary>
/// What the door's subscribers receive: each reading this member stored (accepted here or replicated from another
/// member, once; the read model's writer says which are new) on <c>sensors/{device}/reading</c>, and the lab subscriber's
/// alert on <c>edge/alerts/{device}</c> for a temperature outside [--alert-low, --alert-high]; each device's status change,
/// retained on <c>edge/status/{device}</c>.
/// </summary>
public sealed class MqttFanOut : ReceiveActor
{
    public MqttFanOut(MqttDoor door, NodeSettings settings)
    {
        ReceiveAsync<DeviceStatusChanged>(change =>
            door.PublishAsync($"edge/status/{change.DeviceId}", System.Text.Encoding.UTF8.GetBytes(change.To), retain: true));
        ReceiveAsync<ReadingsStored>(async m =>
        {
            var anyone = door.AnyoneSubscribedTo("sensors/1/reading");
            foreach (var stored in m.Readings)
            {
                var r = stored.Reading;
                if (anyone)
                    await door.PublishAsync($"sensors/{r.DeviceId}/reading", JsonSerializer.SerializeToUtf8Bytes(
                        new ReadingMessage(r.DeviceId, TimeText.FromUnixMs(r.DeviceTimeMs), TimeText.FromUnixMs(r.ReceivedAtMs), r.Temperature,
                            r.Humidity, r.Seq, stored.OriginNode, stored.OriginSeq), ApiJson.Options));
                if (r.Temperature > settings.AlertHigh || r.Temperature < settings.AlertLow)
                {
                    var high = r.Temperature > settings.AlertHigh;
                    await door.PublishAsync($"edge/alerts/{r.DeviceId}", new AlertMessage(r.DeviceId,
                        $"temperature {r.Temperature} °C {(high ? "above" : "below")} {(high ? settings.AlertHigh : settings.AlertLow)} °C",
                        r.Temperature, high ? settings.AlertHigh : settings.AlertLow, TimeText.FromUnixMs(r.DeviceTimeMs), stored.OriginNode));
                }
            }
        });
    }
}

/// <summary>
/// Starts the fan-out on the node's actor system: stored readings and alerts, and each registered device's status
/// retained on <c>edge/status/{device}</c> (<c>online</c>, <c>late</c>, <c>offline</c>: the device-health rule, with
/// connections that dropped uncleanly), republished on every <see cref="DeviceStatusChanged"/>.
/// </summary>
internal sealed class MqttDoorService(MqttDoor door, ActorSystem system, NodeSettings settings) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        door.Attach();
        var fanOut = system.ActorOf(Props.Create(() => new MqttFanOut(door, settings)), "mqtt-fan-out");
        system.EventStream.Subscribe(fanOut, typeof(ReadingsStored));
        system.EventStream.Subscribe(fanOut, typeof(DeviceStatusChanged));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
