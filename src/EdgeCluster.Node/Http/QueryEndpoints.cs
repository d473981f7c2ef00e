using EdgeCluster.Contracts;
using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors.Replication;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

/// <summary>The lab's read endpoints, answered from the SQLite read model.</summary>
public static class QueryEndpoints
{
    public const int MaxLimit = 10_000;
    private static readonly TimeSpan StrongTimeout = TimeSpan.FromSeconds(4);

    /// <summary>A strong read answers from this member only after it caught up with a majority of all members; null when it did.</summary>
    private static async Task<IResult?> CatchUpWithMajorityAsync(IActorRef replicator)
    {
        try
        {
            var answer = await replicator.Ask<object>(new ReplicationProtocol.CatchUpWithMajority(StrongTimeout), StrongTimeout + TimeSpan.FromSeconds(2));
            return answer is ReplicationProtocol.MajorityNotConfirmed n
                ? TypedResults.Json(new NoMajorityError($"strong read not possible: {n.Reason}", n.Acknowledged, n.Required, n.Members),
                    statusCode: StatusCodes.Status503ServiceUnavailable)
                : null;
        }
        catch (AskTimeoutException)
        {
            return ApiErrors.Unavailable("the replicator did not answer in time");
        }
    }

    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/readings/{device_id}", async (string device_id, HttpRequest request, ReadModelStore store,
            IRequiredActor<ReplicatorActor> replicator) =>
        {
            if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
            if (!RequestInput.TryConsistency(request, out var strong, out var consistencyError)) return consistencyError;
            var q = request.Query;
            var limit = 100;
            if (q.ContainsKey("limit") &&
                (!int.TryParse(q["limit"], out limit) || limit < 1 || limit > MaxLimit))
                return ApiErrors.BadRequest("limit", $"limit must be an integer from 1 to {MaxLimit}");
            long? since = null, until = null;
            if (q.ContainsKey("since"))
            {
                if (!ReadingValidator.TryTimestamp(q["since"].ToString(), out var s))
                    return ApiErrors.BadRequest("since", "since must be ISO-8601 or Unix seconds or milliseconds");
                since = s;
            }
            if (q.ContainsKey("until"))
            {
                if (!ReadingValidator.TryTimestamp(q["until"].ToString(), out var u))
                    return ApiErrors.BadRequest("until", "until must be ISO-8601 or Unix seconds or milliseconds");
                until = u;
            }
            if (strong && await CatchUpWithMajorityAsync(replicator.ActorRef) is { } refused) return refused;
            var readings = store.Queries.Readings(id, limit, since, until);
            if (readings.Count == 0 && store.Devices.Get(id) is null)
                return ApiErrors.NotFound($"No readings found for device {id}: it is not registered", "device_id");
            return TypedResults.Ok(new ReadingsPage(id, readings.Count, readings));
        });

        app.MapGet("/api/latest", async (HttpRequest request, ReadModelStore store, IRequiredActor<ReplicatorActor> replicator) =>
        {
            if (!RequestInput.TryConsistency(request, out var strong, out var consistencyError)) return consistencyError;
            if (strong && await CatchUpWithMajorityAsync(replicator.ActorRef) is { } refused) return refused;
            var latest = store.Queries.Latest();
            return TypedResults.Ok(new LatestReadings(latest.Count, latest));
        });

        app.MapGet("/api/stats/{device_id}", (string device_id, HttpRequest request, ReadModelStore store) =>
        {
            if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
            var q = request.Query;
            var periodText = q.ContainsKey("period") ? q["period"].ToString().ToLowerInvariant() : "hourly";
            StatsPeriod period;
            if (periodText == "hourly") period = StatsPeriod.Hourly;
            else if (periodText == "daily") period = StatsPeriod.Daily;
            else return ApiErrors.BadRequest("period", "period must be hourly or daily");
            var hours = 24;
            if (q.ContainsKey("hours") && (!int.TryParse(q["hours"], out hours) || hours < 1 || hours > 24 * 366))
                return ApiErrors.BadRequest("hours", "hours must be an integer from 1 to 8784");

            var (summary, buckets) = store.Queries.Stats(id, period, hours, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (summary.TotalReadings == 0 && store.Devices.Get(id) is null)
                return ApiErrors.NotFound($"No data for device {id}: it is not registered", "device_id");
            return TypedResults.Ok(new StatsAnswer(id, periodText, hours, summary.TotalReadings, summary.FirstReading, summary.LastReading,
                new StatsFigures(new TemperatureStats(summary.AvgTemperature, summary.MinTemperature, summary.MaxTemperature),
                    new HumidityStats(summary.AvgHumidity)),
                buckets));
        });
    }
}
