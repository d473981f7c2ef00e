using EdgeCluster.Contracts;
using EdgeCluster.Node.Uplink;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Disk;

/// <summary>
/// What this member's data folder holds and how fast it grows: readings held (its version vector's sum: each origin's
/// stream is a prefix, so no table scan counts them), file sizes, free space, the ingest rate over the last hour (sampled every 10 s) and the days until the disk
/// is full at that rate, with a warning in the log and the API when that drops under 7 days.
/// </summary>
public sealed class StorageMonitor(NodeSettings settings, ReadModelStore store, UplinkStatus uplink, ILogger<StorageMonitor> log,
    Retention.RetentionService? retention = null) : BackgroundService
{
    private static readonly TimeSpan BytesEvery = TimeSpan.FromMinutes(10);
    // What a request for the view may wait for: a measure at most this old.
    private static readonly TimeSpan BytesFreshForView = TimeSpan.FromMinutes(1);
    private (long Raw, long Rollups)? _tierBytes;
    private DateTimeOffset _tierBytesAt = DateTimeOffset.MinValue;
    // Measured in the background from half a minute after start, never in the way of it.
    private readonly DateTimeOffset _firstBytesAt = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
    private readonly Lock _bytesGate = new();

    public static readonly TimeSpan Sample = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private const double WarnDays = 7;

    private readonly Queue<(DateTimeOffset At, long Held)> _samples = new();
    private readonly Lock _gate = new();
    private DateTimeOffset _warnedAt = DateTimeOffset.MinValue;

    public StorageView View()
    {
        var vector = store.Replication.VersionVector();
        var (held, journal, readModel, free, perSecond, bytesPerReading, days, warning) = Forecast(vector);
        var up = uplink.Read();
        var enabled = uplink.Target is not null;
        var raw = held - store.Retention.Floors().Values.Sum();
        var (hourly, hourlyOldest, daily, dailyOldest) = store.Retention.RollupTiers();
        var bytes = TierBytes(BytesFreshForView);
        var (files, archiveBytes, archiveOldest) = retention?.Archive.Usage() ?? (0, 0, null);
        List<TierView> tiers =
        [
            new("raw", raw, bytes?.Raw, store.Analytics.OldestRaw()),
            new("hourly", hourly, null, hourlyOldest),
            new("daily", daily, null, dailyOldest),
            new("archive", files, archiveBytes, archiveOldest),
        ];
        // The rollups' bytes are measured together; each tier gets its share by rows.
        if (bytes is { } b && hourly + daily > 0)
        {
            tiers[1] = tiers[1] with { Bytes = b.Rollups * hourly / (hourly + daily) };
            tiers[2] = tiers[2] with { Bytes = b.Rollups - tiers[1].Bytes };
        }
        return new StorageView(Path.GetFullPath(settings.DataDir), retention?.Policy.ToString() ?? "off",
            tiers, journal, readModel, free, Math.Round(perSecond, 2),
            bytesPerReading is { } bpr ? Math.Round(bpr, 1) : null, days is { } d ? Math.Round(d, 1) : null, warning,
            new StorageUplinkView(enabled, up.State, enabled ? UplinkStatus.Backlog(vector, up.Cursors) : 0,
                enabled ? UplinkStatus.BacklogAgeS(store.Replication, up.Cursors) : null)) { LastRun = retention?.Last };
    }

    /// <summary>Readings held, file sizes, free space, the ingest rate over the sampled window and what follows from them.</summary>
    private (long Held, long Journal, long ReadModel, long Free, double PerSecond, double? BytesPerReading, double? Days, string? Warning)
        Forecast(IReadOnlyDictionary<string, long> vector)
    {
        var held = vector.Values.Sum();
        var journal = FileBytes(settings.JournalPath);
        var readModel = FileBytes(settings.ReadModelPath);
        var free = FreeBytes();
        double perSecond;
        lock (_gate)
        {
            var first = _samples.Count > 0 ? _samples.Peek() : (DateTimeOffset.UtcNow, held);
            var seconds = (DateTimeOffset.UtcNow - first.Item1).TotalSeconds;
            perSecond = seconds >= Sample.TotalSeconds ? Math.Max(0, (held - first.Item2) / seconds) : 0;
        }
        double? bytesPerReading = held > 0 ? (double)(journal + readModel) / held : null;
        double? days = perSecond > 0 && bytesPerReading is { } b ? free / (b * perSecond) / 86_400 : null;
        var warning = days < WarnDays
            ? $"the disk of {Path.GetFullPath(settings.DataDir)} is full in {days:0.#} days at {perSecond:0.#} readings/s ({free / 1_048_576} MiB free)"
            : null;
        return (held, journal, readModel, free, perSecond, bytesPerReading, days, warning);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Sample);
        try
        {
            do
            {
                var vector = store.Replication.VersionVector();
                lock (_gate)
                {
                    var now = DateTimeOffset.UtcNow;
                    _samples.Enqueue((now, vector.Values.Sum()));
                    while (_samples.Count > 1 && now - _samples.Peek().At > Window) _samples.Dequeue();
                }
                if (DateTimeOffset.UtcNow > _firstBytesAt) TierBytes(BytesEvery);
                if (Forecast(vector).Warning is { } warning && DateTimeOffset.UtcNow - _warnedAt > TimeSpan.FromHours(1))
                {
                    log.LogWarning("Storage: {Warning}", warning);
                    _warnedAt = DateTimeOffset.UtcNow;
                }
            } while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>The read model's bytes per tier, measured again when the last measure is older than <paramref name="maxAge"/> (it reads the file's interior pages).</summary>
    private (long Raw, long Rollups)? TierBytes(TimeSpan maxAge)
    {
        lock (_bytesGate)
        {
            if (_tierBytes is not null && DateTimeOffset.UtcNow - _tierBytesAt < maxAge) return _tierBytes;
            _tierBytesAt = DateTimeOffset.UtcNow;
            try
            {
                _tierBytes = store.Retention.TierBytes();
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // Tried again at the next measure.
                log.LogWarning("Storage: the tiers' bytes cannot be measured ({Error})", e.Message);
            }
            return _tierBytes;
        }
    }

    private static long FileBytes(string path) =>
        new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private long FreeBytes()
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(settings.DataDir)).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
