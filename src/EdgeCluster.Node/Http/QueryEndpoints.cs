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

    private static bool WantsCsv(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("text/csv", StringComparison.OrdinalIgnoreCase));

    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/readings/{device_id}", async (string device_id, HttpContext http, ReadModelStore store,
            IRequiredActor<ReplicatorActor> replicator) =>
        {
            var request = http.Request;
            if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
            if (!RequestInput.TryConsistency(request, out var strong, out var consistencyError)) return consistencyError;
            if (!QueryArgs.TryInt(request, "limit", 100, 1, MaxLimit, out var limit, out var argError)
                || !QueryArgs.TryTime(request, "since", out var since, out argError)
                || !QueryArgs.TryTime(request, "until", out var until, out argError)
                || !QueryArgs.TryChoice(request, "format", WantsCsv(request) ? "csv" : "json", ["json", "csv"], out var format, out argError))
                return argError!;
            if (strong && await CatchUpWithMajorityAsync(replicator.ActorRef) is { } refused) return refused;
            if (format == "csv")
            {
                if (store.Devices.Get(id) is null && store.Queries.Readings(id, 1, since, until).Count == 0)
                    return ApiErrors.NotFound($"No readings found for device {id}: it is not registered", "device_id");
                return new CsvReadings(store.Queries.StreamReadings(id, limit, since, until), $"device-{id}-readings.csv");
            }
            var readings = store.Queries.Readings(id, limit, since, until);
            if (readings.Count == 0 && store.Devices.Get(id) is null)
                return ApiErrors.NotFound($"No readings found for device {id}: it is not registered", "device_id");
            return TypedResults.Ok(new ReadingsPage(id, readings.Count, readings) { OldestRaw = store.Analytics.OldestRaw(id) });
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
            if (!QueryArgs.TryChoice(request, "period", "hourly", ["hourly", "daily", "hour-of-day"], out var periodText, out var argError))
                return argError!;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (periodText == "hour-of-day")
            {
                if (!QueryArgs.TryInt(request, "days", 30, 1, 366, out var days, out argError)) return argError!;
                var hours = store.Analytics.HourOfDay(id, days, now);
                if (hours.All(h => h.Count == 0) && store.Devices.Get(id) is null)
                    return ApiErrors.NotFound($"No data for device {id}: it is not registered", "device_id");
                return TypedResults.Ok(new HourOfDayAnswer(id, periodText, days, hours));
            }
            var period = periodText == "daily" ? StatsPeriod.Daily : StatsPeriod.Hourly;
            if (!TryWindow(request, out var windowHours, out argError)) return argError!;

            var (summary, buckets) = store.Queries.Stats(id, period, windowHours, now);
            if (summary.TotalReadings == 0 && store.Devices.Get(id) is null)
                return ApiErrors.NotFound($"No data for device {id}: it is not registered", "device_id");
            return TypedResults.Ok(new StatsAnswer(id, periodText, windowHours, summary.TotalReadings, summary.FirstReading, summary.LastReading,
                new StatsFigures(new TemperatureStats(summary.AvgTemperature, summary.MinTemperature, summary.MaxTemperature),
                    new HumidityStats(summary.AvgHumidity)),
                buckets));
        });

        // Every device's buckets in one answer (the dashboard's sparklines): the same rollups, device by device.
        app.MapGet("/api/stats", (HttpRequest request, ReadModelStore store) =>
        {
            if (!QueryArgs.TryChoice(request, "period", "hourly", ["hourly", "daily"], out var periodText, out var argError)) return argError!;
            if (!TryWindow(request, out var windowHours, out argError)) return argError!;
            var period = periodText == "daily" ? StatsPeriod.Daily : StatsPeriod.Hourly;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var devices = store.Analytics.DevicesWithReadings()
                .Select(id => new DeviceBuckets(id, store.Queries.Stats(id, period, windowHours, now).Buckets)).ToList();
            return TypedResults.Ok(new AllStatsAnswer(periodText, windowHours, devices));
        });
    }

    /// <summary>The window in hours (<c>hours=</c>, default 24), or in days (<c>days=</c>, as the lab asks for daily stats).</summary>
    private static bool TryWindow(HttpRequest request, out int hours, out IResult? error)
    {
        if (!request.Query.ContainsKey("days")) return QueryArgs.TryInt(request, "hours", 24, 1, 24 * 366, out hours, out error);
        var ok = QueryArgs.TryInt(request, "days", 1, 1, 366, out var days, out error);
        hours = days * 24;
        return ok;
    }
}
