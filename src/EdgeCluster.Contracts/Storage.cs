namespace EdgeCluster.Contracts;

/// <summary>
/// One tier: <c>raw</c> readings (hot), <c>hourly</c> rollups (warm), <c>daily</c> rollups (cold), the Parquet <c>archive</c>
/// (rows: its files). Bytes of the read model's tiers are the file's pages of each, measured every 10 minutes and when this view is
/// asked for with a measure older than a minute (null only when they cannot be measured).
/// </summary>
public sealed record TierView(string Tier, long Rows, long? Bytes, string? Oldest);

/// <summary>
/// One retention run: raw readings expired, archive files written, hours folded into days, buckets dropped, the journal
/// sequence number its events are now deleted up to (0: none yet), and why raw readings were held back.
/// </summary>
public sealed record RetentionRunView(string StartedAt, double DurationMs, long Expired, int ArchiveFiles, int FoldedHours, int DroppedBuckets,
    long JournalDeletedTo, string? Held);

/// <summary>What the uplink has not delivered yet, as this member holds it.</summary>
public sealed record StorageUplinkView(bool Enabled, string State, long Backlog, double? BacklogAgeS);

/// <summary>
/// GET /api/storage: what this member keeps on its disk and how long the disk lasts at the current ingest rate
/// (<c>DaysUntilFull</c>, null while nothing arrives); <c>Warning</c> when that is under 7 days.
/// </summary>
public sealed record StorageView(string DataDir, string Retention, IReadOnlyList<TierView> Tiers, long JournalBytes, long ReadModelBytes,
    long FreeBytes, double ReadingsPerSecond, double? BytesPerReading, double? DaysUntilFull, string? Warning, StorageUplinkView Uplink)
{
    /// <summary>The last retention run, when retention is on.</summary>
    public RetentionRunView? LastRun { get; init; }
}
