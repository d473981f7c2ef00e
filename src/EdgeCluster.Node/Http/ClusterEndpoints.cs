using EdgeCluster.Contracts;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Replication;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>GET /api/cluster: the membership as this member sees it, how far it holds each origin's readings, and its cut links.</summary>
public static class ClusterEndpoints
{
    public static void MapClusterEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cluster", async (MemberDirectory directory, IRequiredActor<ReplicatorActor> replicator, ReachabilityLog reachability,
            LocalLinks links) =>
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

            MemberView Describe(Member m)
            {
                var unreachable = state.Unreachable.Contains(m);
                return new(m.Address.ToString(), MemberRoles.NodeName(m), MemberRoles.HttpUrl(m), m.Status.ToString(),
                    MemberRoles.Public(m), !unreachable, unreachable ? reachability.Since(m.Address) : null);
            }

            var vector = status.Vector.Keys.Union(status.KnownHighest.Keys).Order(StringComparer.Ordinal)
                .ToDictionary(o => o, o =>
                {
                    var have = status.Vector.GetValueOrDefault(o);
                    var known = Math.Max(have, status.KnownHighest.GetValueOrDefault(o));
                    return new OriginProgress(have, known - have);
                });

            return TypedResults.Ok(new ClusterView(Describe(cluster.SelfMember), state.Leader?.ToString(), oldest?.Address.ToString(),
                state.Members.OrderBy(m => m.Address.ToString()).Select(Describe).ToList(),
                state.Unreachable.Select(m => m.Address.ToString()).ToList(), vector, status.ReadingsPulled,
                links.View(null).Links));
        });
    }
}
