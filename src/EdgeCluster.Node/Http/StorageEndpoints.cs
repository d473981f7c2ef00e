using EdgeCluster.Node.Disk;

namespace EdgeCluster.Node.Http;

/// <summary>GET /api/storage: this member's disk: readings held, file sizes, free space, days until full, the uplink's backlog.</summary>
public static class StorageEndpoints
{
    public static void MapStorageEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/storage", (StorageMonitor monitor) => TypedResults.Ok(monitor.View()));
}
