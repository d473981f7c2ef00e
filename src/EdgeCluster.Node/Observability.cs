using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Journal;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;

namespace EdgeCluster.Node;

/// <summary>
/// What a service manager and a metrics scraper need: <c>GET /healthz</c> (the process and its actor system live),
/// <c>GET /readyz</c> (the journal recovered, the read model caught up with it, this member Up in its cluster — a node
/// without seeds is a cluster of one, Up once it joined itself) and <c>GET /metrics</c> (Prometheus text: the node's own
/// meter, ASP.NET Core's and Kestrel's, the .NET runtime's).
/// </summary>
public static class Observability
{
    public const string Live = "live";
    public const string Ready = "ready";

    /// <summary>Set once the read model holds everything the journal held at start.</summary>
    public sealed class ReadModelReadiness
    {
        public volatile bool CaughtUp;
    }

    private sealed class ReadModelCheck(ReadModelReadiness readiness) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(readiness.CaughtUp
                ? HealthCheckResult.Healthy("the read model holds everything the journal held at start")
                : HealthCheckResult.Unhealthy("the read model is catching up with the journal"));
    }

    public static void AddObservability(this WebApplicationBuilder builder, ReadModelReadiness readiness)
    {
        builder.Services.AddSingleton(readiness);
        builder.Services.AddHealthChecks().AddCheck<ReadModelCheck>("read-model", tags: [Ready]);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(EdgeMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime")
                .AddPrometheusExporter();
            foreach (var (name, boundaries) in EdgeMetrics.Buckets)
                metrics.AddView(name, new ExplicitBucketHistogramConfiguration { Boundaries = boundaries });
        });
    }

    /// <summary>The actor system's own checks (Akka.Hosting's liveness and cluster readiness) and the journal's recovery.</summary>
    public static AkkaConfigurationBuilder AddNodeHealthChecks(this AkkaConfigurationBuilder akka) =>
        akka
            .WithActorSystemLivenessCheck(tags: [Live])
            .WithAkkaClusterReadinessCheck(tags: [Ready])
            .WithHealthCheck("journal", async (_, registry, cancel) =>
            {
                // The journal answers only once it recovered (a persistent actor stashes what arrives while it recovers).
                try
                {
                    var journal = await registry.GetAsync<ReadingJournalActor>(cancel);
                    await journal.Ask<JournalProtocol.Pong>(JournalProtocol.Ping.Instance, TimeSpan.FromSeconds(2), cancel);
                    return HealthCheckResult.Healthy("the reading journal recovered");
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
                {
                    return HealthCheckResult.Unhealthy("the reading journal is recovering or not answering");
                }
            }, tags: [Ready])
            .AddStartup((system, _) =>
            {
                var cluster = Cluster.Get(system);
                EdgeMetrics.ObserveMembers(
                    () => cluster.State.Members.GroupBy(m => m.Status.ToString()).Select(g => (g.Key, g.Count())),
                    () => cluster.State.Unreachable.Count);
            });

    public static void MapObservability(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Live), ResponseWriter = WriteAsync });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>JSON, as the rest of the API: the overall status and each check's.</summary>
    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString().ToLowerInvariant(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
            }),
        }));
    }
}
