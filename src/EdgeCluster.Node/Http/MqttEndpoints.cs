using EdgeCluster.Contracts;
using EdgeCluster.Node.Mqtt;

namespace EdgeCluster.Node.Http;

/// <summary>GET /api/mqtt: this member's MQTT door, its port and what it counted.</summary>
public static class MqttEndpoints
{
    public static void MapMqttEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/mqtt", (NodeSettings settings, IServiceProvider services) =>
            services.GetService<MqttDoor>() is { } door
                ? TypedResults.Ok(door.View(settings.MqttPort))
                : TypedResults.Ok(new MqttView(false, null, null, 0, 0, 0, 0, 0, 0, 0, 0)));
    }
}
