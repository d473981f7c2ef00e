using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Replication;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>GET /api/cluster: the membership as this member sees it, and how far it holds each origin's readings.</summary>
public static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cluster", async (MemberDirectory directory, IRequiredActor<ReplicatorActor> replicator) =>
        {
            ReplicationStatus status;
            try
            {
                status = await replicator.ActorRef.Ask<ReplicationStatus>(new GetStatus(), TimeSpan.FromSeconds(5));
            }
            catch (AskTimeoutException)
            {
                return ApiErrors.Unavailable("replicator did not answer in time");
            }
            var cluster = directory.Cluster;
            var state = cluster.State;
            var oldest = state.Members.Where(m => m.Status == MemberStatus.Up)
                .Aggregate((Member?)null, (a, m) => a is null || m.IsOlderThan(a) ? m : a);

            object Describe(Member m) => new
            {
                Address = m.Address.ToString(),
                NodeName = MemberRoles.NodeName(m),
                HttpUrl = MemberRoles.HttpUrl(m),
                Status = m.Status.ToString(),
                Roles = MemberRoles.Public(m),
                Reachable = !state.Unreachable.Contains(m),
            };

            var vector = status.Vector.Keys.Union(status.KnownHighest.Keys).Order(StringComparer.Ordinal)
                .ToDictionary(o => o, o =>
                {
                    var have = status.Vector.GetValueOrDefault(o);
                    var known = Math.Max(have, status.KnownHighest.GetValueOrDefault(o));
                    return new { Highest = have, Lag = known - have };
                });

            return Results.Ok(new
            {
                Self = Describe(cluster.SelfMember),
                Leader = state.Leader?.ToString(),
                Oldest = oldest?.Address.ToString(),
                Members = state.Members.OrderBy(m => m.Address.ToString()).Select(Describe),
                Unreachable = state.Unreachable.Select(m => m.Address.ToString()),
                VersionVector = vector,
                ReadingsPulled = status.ReadingsPulled,
            });
        });
    }
}
