using MQTTnet.AspNetCore;

namespace EdgeCluster.Node.Mqtt;

/// <summary>Wires the MQTT door into the node's host: MQTTnet's server behind Kestrel (TCP on --mqtt-port, WebSockets at /mqtt).</summary>
public static class MqttHosting
{
    public const string WebSocketPath = "/mqtt";

    public static void AddMqttDoor(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MQTTnet.Diagnostics.Logger.IMqttNetLogger, Logging.MqttLogBridge>();
        // At most 1,000 messages wait for a slow subscriber (the oldest are dropped beyond), and a client that sends half a
        // packet is dropped after 10 s; connections count against Kestrel's limit (NodeHost.MaxConnections).
        builder.Services.AddHostedMqttServer(o => o.WithoutDefaultEndpoint().WithKeepAlive()
            .WithMaxPendingMessagesPerClient(1000).WithDefaultCommunicationTimeout(TimeSpan.FromSeconds(10)));
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
