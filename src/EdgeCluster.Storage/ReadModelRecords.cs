namespace EdgeCluster.Storage;

/// <summary>A stored reading with every field the read model keeps.</summary>
public sealed record StoredReading(
    long ReadingId, int DeviceId, string Timestamp, string ReceivedAt,
    double Temperature, double Humidity, long? Seq, string OriginNode, long OriginSeq);

public sealed record StatsSummary(
    int DeviceId, long TotalReadings, string? FirstReading, string? LastReading,
    double? AvgTemperature, double? MinTemperature, double? MaxTemperature, double? AvgHumidity);

public sealed record StatsBucket(
    string Bucket, long Count, double AvgTemperature, double MinTemperature, double MaxTemperature, double AvgHumidity);

public enum StatsPeriod { Hourly, Daily }
