namespace EdgeCluster.Contracts;

/// <summary>A reading as the read model holds it and the API shows it: the lab's fields plus its origin.</summary>
public sealed record ReadingView(
    long ReadingId, int DeviceId, string Timestamp, string ReceivedAt,
    double Temperature, double Humidity, long? Seq, string OriginNode, long OriginSeq);

/// <summary>POST /api/reading: stored (or a duplicate of a stored seq), with where it was accepted.</summary>
public sealed record ReadingAccepted(
    string Status, string Consistency, bool Duplicate, int DeviceId, string Timestamp, string ReceivedAt,
    double Temperature, double Humidity, long? Seq, string? OriginNode, long? OriginSeq);

/// <summary>POST /api/readings/batch: the whole batch stored.</summary>
public sealed record BatchAccepted(string Status, string Consistency, int Received, int Inserted, int Duplicates, string Timestamp);

/// <summary>GET /api/readings/{device_id}: newest first.</summary>
public sealed record ReadingsPage(int DeviceId, int Count, IReadOnlyList<ReadingView> Readings)
{
    /// <summary>The device's oldest reading still in the raw (hot) tier: with retention on, older ones are rollups and archive files.</summary>
    public string? OldestRaw { get; init; }
}

/// <summary>GET /api/latest: the latest reading of every device.</summary>
public sealed record LatestReadings(int Count, IReadOnlyList<ReadingView> Readings);

/// <summary>One hour or day of a device's readings; a day also carries the change of its average against the day before (the lab's LAG).</summary>
public sealed record StatsBucket(string Bucket, long Count, double AvgTemperature, double MinTemperature, double MaxTemperature, double AvgHumidity,
    double? TemperatureChange = null);

public sealed record TemperatureStats(double? Avg, double? Min, double? Max);

public sealed record HumidityStats(double? Avg);

public sealed record StatsFigures(TemperatureStats Temperature, HumidityStats Humidity);

/// <summary>GET /api/stats/{device_id}: the lab's summary and per-bucket rows.</summary>
/// <summary>One device's buckets in GET /api/stats (every device), newest first.</summary>
public sealed record DeviceBuckets(int DeviceId, IReadOnlyList<StatsBucket> Buckets);

/// <summary>GET /api/stats: every device with readings, each with its buckets over the window.</summary>
public sealed record AllStatsAnswer(string Period, int Hours, IReadOnlyList<DeviceBuckets> Devices);

public sealed record StatsAnswer(int DeviceId, string Period, int Hours, long TotalReadings, string? FirstReading, string? LastReading,
    StatsFigures Statistics, IReadOnlyList<StatsBucket> Buckets);
