using MQTTnet.AspNetCore;

namespace EdgeCluster.Node.Mqtt;

/// <summary>Wires the MQTT door into the node's host: MQTTnet's server behind Kestrel (TCP on --mqtt-port, WebSockets at /mqtt).</summary>
public static class MqttHosting
{
    public const string WebSocketPath = "/mqtt";

    public static void AddMqttDoor(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedMqttServer(o => o.WithoutDefaultEndpoint().WithKeepAlive());
        builder.Services.AddMqttConnectionHandler();
        builder.Services.AddConnections();
        builder.Services.AddSingleton<MqttDoor>();
        builder.Services.AddHostedService<MqttDoorService>();
    }

    public static void MapMqttDoor(this WebApplication app)
    {
        app.UseWebSockets();
        app.MapMqtt(WebSocketPath);
    }
}
