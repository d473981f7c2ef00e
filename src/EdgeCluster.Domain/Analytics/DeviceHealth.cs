namespace EdgeCluster.Domain.Analytics;

/// <summary>
/// A device's health as the lab's Exercise 1 asks for it: <c>online</c>, <c>late</c> once more than two of its expected
/// intervals have passed since it was last seen, <c>offline</c> after five (or when it was never seen, or when its
/// connection dropped uncleanly after it was last seen).
/// </summary>
public static class DeviceHealth
{
    public const string Online = "online";
    public const string Late = "late";
    public const string Offline = "offline";

    public static string Status(long? lastSeenMs, long? intervalMs, long nowMs, long? droppedAtMs = null)
    {
        if (lastSeenMs is not { } seen) return Offline;
        if (droppedAtMs is { } dropped && dropped >= seen) return Offline;
        if (intervalMs is not { } interval || interval <= 0) return Online;
        var silent = nowMs - seen;
        return silent > 5 * interval ? Offline : silent > 2 * interval ? Late : Online;
    }

    /// <summary>The shortest interval a device is expected at: a registered interval is whole seconds, at least one.</summary>
    public const long MinIntervalMs = 1000;

    /// <summary>
    /// The median gap between consecutive readings (times in increasing order), at least <see cref="MinIntervalMs"/>; or
    /// null with fewer than three readings. A board that sends faster than once a second (a burst, a replayed buffer)
    /// is not expected again within milliseconds: it would turn late and online again between every two posts.
    /// </summary>
    public static long? LearnedIntervalMs(IReadOnlyList<long> times)
    {
        if (times.Count < 3) return null;
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).Where(g => g > 0).Order().ToList();
        return gaps.Count == 0 ? null : Math.Max(MinIntervalMs, gaps[gaps.Count / 2]);
    }
}
