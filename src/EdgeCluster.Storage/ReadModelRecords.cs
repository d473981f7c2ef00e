namespace EdgeCluster.Storage;

/// <summary>A device's summary over a window, before the API shapes it.</summary>
public sealed record StatsSummary(
    int DeviceId, long TotalReadings, string? FirstReading, string? LastReading,
    double? AvgTemperature, double? MinTemperature, double? MaxTemperature, double? AvgHumidity);

public enum StatsPeriod { Hourly, Daily }
