using EdgeCluster.Contracts;
using EdgeCluster.Domain;

namespace EdgeCluster.Node.Http;

/// <summary>
/// Rate limits on the ingest doors, so that one runaway board (or one address flooding) cannot starve the others:
/// token buckets per client address (HTTP) or client id (MQTT), in requests a second with a burst of twice that, and
/// per device, in readings a second with a burst of ten times that (a board replaying its buffer, or the lab's
/// batch-insert exercise, goes through at once). 0 turns a limit off.
/// </summary>
public sealed class IngestLimits : IDisposable
{
    private readonly TokenBuckets<string>? _bySender;
    private readonly TokenBuckets<int>? _byDevice;
    private readonly int _deviceBurst;

    public IngestLimits(NodeSettings settings)
    {
        PerSender = settings.LimitPerAddress;
        PerDevice = settings.LimitPerDevice;
        if (PerSender > 0) _bySender = new TokenBuckets<string>(PerSender, 2 * PerSender);
        _deviceBurst = 10 * PerDevice;
        if (PerDevice > 0) _byDevice = new TokenBuckets<int>(PerDevice, _deviceBurst);
    }

    /// <summary>Requests a second one client address (HTTP) or client id (MQTT) may send to the ingest doors; 0: no limit.</summary>
    public int PerSender { get; }

    /// <summary>Readings a second one device may send; 0: no limit.</summary>
    public int PerDevice { get; }

    /// <summary>How long the sender must wait before its next request, or null when it may send now.</summary>
    public TimeSpan? Sender(string sender) => _bySender?.Take(sender, 1);

    /// <summary>How long to wait before the readings' devices may send again, or null (and taken) when they may send now.</summary>
    public (TimeSpan Wait, int Device)? Devices(IReadOnlyList<Reading> readings)
    {
        if (_byDevice is null) return null;
        foreach (var group in readings.GroupBy(r => r.DeviceId))
            if (_byDevice.Take(group.Key, Math.Min(group.Count(), _deviceBurst)) is { } wait) return (wait, group.Key);
        return null;
    }

    /// <summary>The HTTP answer of a refused request: 429, Retry-After in whole seconds, the JSON naming what was limited.</summary>
    public static IResult TooMany(HttpContext http, TimeSpan wait, string message, string? field)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new ApiError(message, field), statusCode: StatusCodes.Status429TooManyRequests);
    }

    public void Dispose()
    {
        _bySender?.Dispose();
        _byDevice?.Dispose();
    }
}

/// <summary>
/// One token bucket per key, refilled continuously at <c>rate</c> a second up to <c>burst</c>; a new key starts full.
/// A bucket that has been full and unused for a minute is dropped (a new one would be the same), under its own lock, so a
/// burst never meets two buckets for one key: at most <c>burst</c> go through at once, then <c>rate</c> a second.
/// </summary>
public sealed class TokenBuckets<TKey> : IDisposable where TKey : notnull
{
    private static readonly TimeSpan IdleDrop = TimeSpan.FromMinutes(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<TKey, Bucket> _buckets = new();
    private readonly double _rate;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;

    public TokenBuckets(int perSecond, int burst, TimeProvider? time = null)
    {
        _rate = perSecond;
        _burst = burst;
        _time = time ?? TimeProvider.System;
        _sweep = _time.CreateTimer(_ => Sweep(), null, IdleDrop, IdleDrop);
    }

    /// <summary>Takes <paramref name="permits"/> from the key's bucket: null when taken, otherwise how long until they would be there.</summary>
    public TimeSpan? Take(TKey key, int permits)
    {
        while (true)
        {
            var bucket = _buckets.GetOrAdd(key, _ => new Bucket(_burst, _time.GetTimestamp()));
            lock (bucket)
            {
                if (bucket.Dropped) continue;
                var now = _time.GetTimestamp();
                Refill(bucket, now);
                bucket.LastUsed = now;
                if (bucket.Tokens >= permits)
                {
                    bucket.Tokens -= permits;
                    return null;
                }
                return TimeSpan.FromSeconds((Math.Min(permits, _burst) - bucket.Tokens) / _rate);
            }
        }
    }

    /// <summary>Buckets tracked now (full, idle ones are dropped once a minute).</summary>
    public int Count => _buckets.Count;

    internal void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (key, bucket) in _buckets)
            lock (bucket)
            {
                Refill(bucket, now);
                if (bucket.Tokens < _burst || _time.GetElapsedTime(bucket.LastUsed, now) < IdleDrop) continue;
                bucket.Dropped = true;
                _buckets.TryRemove(KeyValuePair.Create(key, bucket));
            }
    }

    private void Refill(Bucket bucket, long now)
    {
        bucket.Tokens = Math.Min(_burst, bucket.Tokens + _time.GetElapsedTime(bucket.RefilledAt, now).TotalSeconds * _rate);
        bucket.RefilledAt = now;
    }

    public void Dispose() => _sweep.Dispose();

    private sealed class Bucket(double tokens, long now)
    {
        public double Tokens = tokens;
        public long RefilledAt = now;
        public long LastUsed = now;
        public bool Dropped;
    }
}
