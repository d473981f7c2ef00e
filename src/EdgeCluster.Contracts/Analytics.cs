namespace EdgeCluster.Contracts;

/// <summary>One hour of the day (0-23, UTC) over the window: the lab's Query 3.</summary>
public sealed record HourOfDayBucket(int Hour, long Count, double? AvgTemperature, double? MinTemperature, double? MaxTemperature, double? AvgHumidity);

/// <summary>GET /api/stats/{device_id}?period=hour-of-day&amp;days=30: 24 buckets.</summary>
public sealed record HourOfDayAnswer(int DeviceId, string Period, int Days, IReadOnlyList<HourOfDayBucket> Buckets);

/// <summary>A reading whose |z| against its device's mean and standard deviation over the window passed the threshold.</summary>
public sealed record AnomalyView(long ReadingId, int DeviceId, string Timestamp, long? Seq, string Field, double Value,
    double ZScore, double Mean, double StdDev);

/// <summary>GET /api/anomalies: ordered by |z| descending; <c>oldest_raw</c> is the oldest raw reading the window could cover.</summary>
public sealed record AnomaliesAnswer(string Field, double Z, string? OldestRaw, int Count, IReadOnlyList<AnomalyView> Anomalies);

/// <summary>A stretch without readings: from the reading before it to the one after, and how many expected readings it lacks.</summary>
public sealed record GapView(string Start, string End, long Missing);

/// <summary>A device's data quality over the window: the lab's Query 5, and its longest gaps.</summary>
public sealed record DeviceQuality(int DeviceId, long TotalReadings, string? FirstReading, string? LastReading, int DaysActive,
    double Completeness, IReadOnlyList<GapView> Gaps);

/// <summary>GET /api/quality.</summary>
public sealed record QualityAnswer(int ExpectedIntervalS, int Days, IReadOnlyList<DeviceQuality> Devices);

/// <summary>GET /api/series/{device_id}: at most <c>points</c> points <c>[unix_ms, value]</c>, first and last kept.</summary>
public sealed record SeriesAnswer(int DeviceId, string Field, string Method, int Points, int RawPoints, IReadOnlyList<double[]> Series);
