namespace EdgeCluster.Actors;

/// <summary>How this node takes readings in: its name as an origin, and the limits of its write path.</summary>
public sealed record IngestSettings(
    string NodeName,
    bool AutoRegister = false,
    int MaxGroupReadings = 20_000,
    int SnapshotEvery = 1_000)
{
    /// <summary>How long a request waits for devices and the journal before it is answered 503.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string JournalPersistenceId => $"reading-journal-{NodeName}";
}
