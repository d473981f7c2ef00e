namespace EdgeCluster.Contracts;

/// <summary>One tier of the read model: <c>raw</c> readings (the only tier while retention is off).</summary>
public sealed record TierView(string Tier, long Rows, long Bytes, string? Oldest);

/// <summary>What the uplink has not delivered yet, as this member holds it.</summary>
public sealed record StorageUplinkView(bool Enabled, string State, long Backlog, double? BacklogAgeS);

/// <summary>
/// GET /api/storage: what this member keeps on its disk and how long the disk lasts at the current ingest rate
/// (<c>DaysUntilFull</c>, null while nothing arrives); <c>Warning</c> when that is under 7 days.
/// </summary>
public sealed record StorageView(string DataDir, string Retention, IReadOnlyList<TierView> Tiers, long JournalBytes, long ReadModelBytes,
    long FreeBytes, double ReadingsPerSecond, double? BytesPerReading, double? DaysUntilFull, string? Warning, StorageUplinkView Uplink);
