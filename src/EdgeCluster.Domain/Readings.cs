namespace EdgeCluster.Domain;

/// <summary>A reading as a device sent it, after validation. Times are Unix milliseconds, UTC.</summary>
public sealed record Reading(
    int DeviceId,
    double Temperature,
    double Humidity,
    long DeviceTimeMs,
    long ReceivedAtMs,
    long? Seq);

/// <summary>A reading as this node's journal holds it: with the member it was accepted on and its place in that member's stream.</summary>
public sealed record JournaledReading(Reading Reading, string OriginNode, long OriginSeq);

/// <summary>One group commit of the reading journal: every reading that arrived while the previous write was in flight.</summary>
public sealed record ReadingsJournaled(string OriginNode, IReadOnlyList<JournaledReading> Readings)
{
    public long FirstOriginSeq => Readings.Count == 0 ? 0 : Readings[0].OriginSeq;
    public long LastOriginSeq => Readings.Count == 0 ? 0 : Readings[^1].OriginSeq;
}

/// <summary>A device in the registry, with the lab's fields and, when it was given, how often it reports (seconds).</summary>
/// <param name="TokenHash">SHA-256 of the device's token (<see cref="DeviceTokens"/>); null for a device without one (auto-registered).</param>
public sealed record DeviceInfo(int DeviceId, string Name, string Type, string? Location, long RegisteredAtMs, int? IntervalS = null, string? TokenHash = null);
