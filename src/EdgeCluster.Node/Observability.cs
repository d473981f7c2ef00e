using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Contracts;
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
        app.MapGet("/healthz", (HealthCheckService checks, CancellationToken cancel) => ReportAsync(checks, Live, cancel));
        app.MapGet("/readyz", (HealthCheckService checks, CancellationToken cancel) => ReportAsync(checks, Ready, cancel));
        // Prometheus text (its exposition format), not a JSON endpoint of the API.
        app.MapPrometheusScrapingEndpoint("/metrics");
    }

    /// <summary>JSON, as the rest of the API: the overall status and each check's; 503 unless every check is healthy.</summary>
    private static async Task<IResult> ReportAsync(HealthCheckService checks, string tag, CancellationToken cancel)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(tag), cancel);
        var view = new HealthReportView(report.Status.ToString().ToLowerInvariant(),
            report.Entries.Select(e => new HealthCheckView(e.Key, e.Value.Status.ToString().ToLowerInvariant(),
                e.Value.Description ?? e.Value.Exception?.Message)).ToList());
        return TypedResults.Json(view, statusCode: report.Status == HealthStatus.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
