using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

/// <summary>The lab's read endpoints, answered from the SQLite read model.</summary>
public static class QueryEndpoints
{
    public const int MaxLimit = 10_000;

    public static void MapQueryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/readings/{device_id}", (string device_id, HttpRequest request, ReadModelStore store) =>
        {
            if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
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
            var readings = store.Readings(id, limit, since, until);
            if (readings.Count == 0 && store.GetDevice(id) is null)
                return ApiErrors.NotFound($"No readings found for device {id}: it is not registered", "device_id");
            return Results.Ok(new { DeviceId = id, Count = readings.Count, Readings = readings });
        });

        app.MapGet("/api/latest", (ReadModelStore store) =>
        {
            var latest = store.Latest();
            return Results.Ok(new { Count = latest.Count, Readings = latest });
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

            var (summary, buckets) = store.Stats(id, period, hours, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (summary.TotalReadings == 0 && store.GetDevice(id) is null)
                return ApiErrors.NotFound($"No data for device {id}: it is not registered", "device_id");
            return Results.Ok(new
            {
                DeviceId = id,
                Period = periodText,
                Hours = hours,
                summary.TotalReadings,
                summary.FirstReading,
                summary.LastReading,
                Statistics = new
                {
                    Temperature = new { Avg = summary.AvgTemperature, Min = summary.MinTemperature, Max = summary.MaxTemperature },
                    Humidity = new { Avg = summary.AvgHumidity },
                },
                Buckets = buckets,
            });
        });
    }
}
