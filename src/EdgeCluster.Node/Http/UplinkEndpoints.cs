using EdgeCluster.Contracts;
using EdgeCluster.Node.Uplink;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

/// <summary>GET /api/uplink: the uplink to the cloud as this member sees it: state, cursors, backlog and throughput.</summary>
public static class UplinkEndpoints
{
    public static void MapUplinkEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/uplink", (UplinkStatus status, ReadModelStore store) =>
        {
            if (status.Target is null)
                return TypedResults.Ok(new UplinkView(false, "off", null, null, null, null, 0, 0, 0, 0, null, []));
            var now = status.Read();
            var local = store.Replication.VersionVector();
            var origins = local.Keys.Union(now.Cursors.Keys).Order(StringComparer.Ordinal).Select(o =>
            {
                var have = local.GetValueOrDefault(o);
                var cloud = now.Cursors.GetValueOrDefault(o);
                return new UplinkOriginView(o, cloud, have, Math.Max(0, have - cloud), now.Owned.Contains(o));
            }).ToList();
            return TypedResults.Ok(new UplinkView(true, now.State, status.Target.Display, now.DownSince, now.LastError, now.LastUploadAt,
                now.Uploaded, now.ReadingsPerSecond, status.RateCap, UplinkStatus.Backlog(local, now.Cursors),
                UplinkStatus.BacklogAgeS(store.Replication, now.Cursors), origins));
        });
    }
}
