using System.Threading.RateLimiting;
using EdgeCluster.Contracts;
using EdgeCluster.Domain;

namespace EdgeCluster.Node.Http;

/// <summary>
/// Rate limits on the ingest doors, so that one runaway board (or one address flooding) cannot starve the others:
/// token buckets (System.Threading.RateLimiting, ASP.NET Core's limiter) per client address (HTTP) or client id
/// (MQTT), in requests a second with a burst of twice that, and per device, in readings a second with a burst of ten
/// times that (a board replaying its buffer, or the lab's batch-insert exercise, goes through at once). 0 turns a limit off.
/// </summary>
public sealed class IngestLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _bySender;
    private readonly PartitionedRateLimiter<int>? _byDevice;
    private readonly int _deviceBurst;

    public IngestLimits(NodeSettings settings)
    {
        PerSender = settings.LimitPerAddress;
        PerDevice = settings.LimitPerDevice;
        if (PerSender > 0)
            _bySender = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(PerSender, 2 * PerSender)));
        _deviceBurst = 10 * PerDevice;
        if (PerDevice > 0)
            _byDevice = PartitionedRateLimiter.Create<int, int>(id => RateLimitPartition.GetTokenBucketLimiter(id, _ => Bucket(PerDevice, _deviceBurst)));
    }

    /// <summary>Requests a second one client address (HTTP) or client id (MQTT) may send to the ingest doors; 0: no limit.</summary>
    public int PerSender { get; }

    /// <summary>Readings a second one device may send; 0: no limit.</summary>
    public int PerDevice { get; }

    /// <summary>How long the sender must wait before its next request, or null when it may send now.</summary>
    public TimeSpan? Sender(string sender) => _bySender is null ? null : Take(_bySender, sender, 1);

    /// <summary>How long to wait before the readings' devices may send again, or null (and taken) when they may send now.</summary>
    public (TimeSpan Wait, int Device)? Devices(IReadOnlyList<Reading> readings)
    {
        if (_byDevice is null) return null;
        foreach (var group in readings.GroupBy(r => r.DeviceId))
            if (Take(_byDevice, group.Key, Math.Min(group.Count(), _deviceBurst)) is { } wait) return (wait, group.Key);
        return null;
    }

    /// <summary>The HTTP answer of a refused request: 429, Retry-After in whole seconds, the JSON naming what was limited.</summary>
    public static IResult TooMany(HttpContext http, TimeSpan wait, string message, string? field)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new ApiError(message, field), statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static TimeSpan? Take<T>(PartitionedRateLimiter<T> limiter, T key, int permits)
    {
        using var lease = limiter.AttemptAcquire(key, permits);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    /// <summary>Refilled every 100 ms where the rate divides into tenths, otherwise once a second, so the rate is exact.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond % 10 == 0 ? perSecond / 10 : perSecond,
        ReplenishmentPeriod = perSecond % 10 == 0 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    public void Dispose()
    {
        _bySender?.Dispose();
        _byDevice?.Dispose();
    }
}
