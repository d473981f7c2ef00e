using EdgeCluster.Contracts;
using EdgeCluster.Domain.Analytics;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

/// <summary>The lab's analytics (its section 4 and Exercise 1), answered by every member from its own read model.</summary>
public static class AnalyticsEndpoints
{
    public const int MaxSeriesPoints = 10_000;
    private static readonly string[] Fields = ["temperature", "humidity"];
    private static readonly string[] Methods = ["lttb", "avg", "minmax"];

    public static void MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/anomalies", Anomalies);
        app.MapGet("/api/quality", Quality);
        app.MapGet("/api/series/{device_id}", Series);
    }

    /// <summary>The optional <c>device_id</c> of a query over every device: absent (null), a known device, or an error.</summary>
    private static bool TryOneDevice(HttpRequest request, ReadModelStore store, out int? deviceId, out IResult error)
    {
        deviceId = null;
        error = Results.Empty;
        if (!request.Query.TryGetValue("device_id", out var idText)) return true;
        if (!Routes.TryDeviceId(idText.ToString(), out var id, out error)) return false;
        if (store.Devices.Get(id) is null && store.Queries.Readings(id, 1, null, null).Count == 0)
        {
            error = ApiErrors.NotFound($"Device {id} not found", "device_id");
            return false;
        }
        deviceId = id;
        return true;
    }

    private static IResult Anomalies(HttpRequest request, ReadModelStore store)
    {
        if (!TryOneDevice(request, store, out var deviceId, out var deviceError)) return deviceError;
        if (!QueryArgs.TryDouble(request, "z", 2.5, 0.1, 100, out var z, out var error)
            || !QueryArgs.TryChoice(request, "field", "temperature", Fields, out var field, out error)
            || !QueryArgs.TryTime(request, "since", out var since, out error)
            || !QueryArgs.TryTime(request, "until", out var until, out error)
            || !QueryArgs.TryInt(request, "limit", 100, 1, QueryEndpoints.MaxLimit, out var limit, out error))
            return error!;
        var devices = deviceId is { } one ? [one] : store.Analytics.DevicesWithReadings();
        var anomalies = store.Analytics.Anomalies(devices, field, z, since, until, limit);
        return TypedResults.Ok(new AnomaliesAnswer(field, z, store.Analytics.OldestRaw(deviceId), anomalies.Count, anomalies));
    }

    private static IResult Quality(HttpRequest request, ReadModelStore store)
    {
        if (!QueryArgs.TryInt(request, "expected_interval_s", 300, 1, 86_400, out var interval, out var error)
            || !QueryArgs.TryInt(request, "days", 30, 1, 366, out var days, out error))
            return error!;
        if (!TryOneDevice(request, store, out var deviceId, out var deviceError)) return deviceError;
        var devices = deviceId is { } one ? [one] : store.Analytics.DevicesWithReadings();
        var quality = store.Analytics.Quality(devices, interval, days, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return TypedResults.Ok(new QualityAnswer(interval, days, quality));
    }

    private static IResult Series(string device_id, HttpRequest request, ReadModelStore store)
    {
        if (!Routes.TryDeviceId(device_id, out var id, out var idError)) return idError;
        if (!QueryArgs.TryChoice(request, "field", "temperature", Fields, out var field, out var error)
            || !QueryArgs.TryChoice(request, "method", "lttb", Methods, out var method, out error)
            || !QueryArgs.TryInt(request, "points", 500, 3, MaxSeriesPoints, out var points, out error)
            || !QueryArgs.TryTime(request, "from", out var from, out error)
            || !QueryArgs.TryTime(request, "to", out var to, out error))
            return error!;
        var raw = store.Analytics.Series(id, field, from, to);
        if (raw.Count == 0 && store.Devices.Get(id) is null) return ApiErrors.NotFound($"Device {id} not found", "device_id");
        var kind = method switch { "avg" => DownsampleMethod.Avg, "minmax" => DownsampleMethod.MinMax, _ => DownsampleMethod.Lttb };
        var series = Downsampling.Apply(raw, points, kind).Select(p => new[] { p.TimeMs, p.Value }).ToList();
        return TypedResults.Ok(new SeriesAnswer(id, field, method, series.Count, raw.Count, series));
    }
}
