using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Contracts;
using EdgeCluster.Node.Uplink;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Retention;

/// <summary>
/// Runs tiered retention every <see cref="RetentionPolicy.Every"/> (the first one interval after start) and on <c>POST /api/admin/retention/run</c>: raw readings
/// older than the hot tier are archived and deleted origin by origin in chunks of at most 20,000 (each its own
/// write run by the read model's one writer in transactions of 4,000, so ingestion waits at most one of them; while readings
/// arrive, a chunk is followed by a pause as long as it took), hours past the warm tier fold into days, days past the cold tier go.
/// With an uplink, a raw reading leaves only once the cloud's cursor for its origin covers it, read from the cloud each run.
/// Outside a run forced by hand, an origin's chunk smaller than 20,000 waits until its first reading has been due for an
/// hour, so the archive is not a file per minute.
/// </summary>
public sealed class RetentionService(NodeSettings settings, RetentionPolicy policy, ReadModelStore store, UplinkStatus uplink,
    IRequiredActor<ReadingJournalActor> journal, IRequiredActor<ReadModelWriterActor> writer, ILogger<RetentionService> log) : BackgroundService
{
    public const int ChunkRows = 20_000;
    private static readonly TimeSpan Linger = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ParquetArchive _archive = new(Path.Combine(settings.DataDir, "archive"));
    private RetentionRunView? _last;
    private long _journalDeletedTo;

    public RetentionPolicy Policy => policy;
    public ParquetArchive Archive => _archive;
    public RetentionRunView? Last => _last;

    /// <summary>One run; <paramref name="force"/> expires every due chunk however small.</summary>
    public async Task<RetentionRunView> RunAsync(bool force, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            var started = DateTimeOffset.UtcNow;
            var (expired, files, held) = await ExpireRawAsync(started, force, cancel);
            var foldDay = TimeText.FromUnixMs((started - policy.Warm).ToUnixTimeMilliseconds())[..10];
            var folded = await WriteAsync(() => store.Retention.Fold(foldDay), cancel);
            var dropDay = TimeText.FromUnixMs((started - policy.Cold).ToUnixTimeMilliseconds())[..10];
            var dropped = await WriteAsync(() => store.Retention.DropBefore(dropDay), cancel);
            await CompactJournalAsync(cancel);
            var run = new RetentionRunView(started.ToString("O"), Math.Round((DateTimeOffset.UtcNow - started).TotalMilliseconds, 1),
                expired, files, folded, dropped, _journalDeletedTo, held);
            EdgeMetrics.ReadingsExpired(expired);
            if (expired > 0 || folded > 0 || dropped > 0)
                log.LogInformation("Retention: {Expired} raw readings expired ({Files} archive files), {Folded} hours folded into days, {Dropped} buckets dropped in {Ms} ms",
                    expired, files, folded, dropped, run.DurationMs);
            if (held is not null) log.LogWarning("Retention: {Held}", held);
            _last = run;
            return run;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A write to the read model, run by its one writer between the readings it applies.</summary>
    private async Task<int> WriteAsync(Func<int> work, CancellationToken cancel)
    {
        var actor = await writer.GetAsync(cancel);
        return (await actor.Ask<ReadModelProtocol.Written>(new ReadModelProtocol.Write(work), TimeSpan.FromMinutes(1), cancel)).Count;
    }

    /// <summary>The journal lets go of the events whose readings (this member's own) all left the raw tier.</summary>
    private async Task CompactJournalAsync(CancellationToken cancel)
    {
        var upTo = store.Retention.CompactableJournal(settings.NodeName);
        if (upTo <= _journalDeletedTo) return;
        var actor = await journal.GetAsync(cancel);
        var answer = await actor.Ask<JournalProtocol.Compacted>(new JournalProtocol.Compact(upTo), TimeSpan.FromSeconds(30), cancel);
        if (!answer.Deleted)
        {
            log.LogWarning("Retention: the journal's events up to {SequenceNr} were not deleted ({Error}); the next run tries again", upTo, answer.Error);
            return;
        }
        store.Retention.ForgetJournalMarks(answer.SequenceNr);
        _journalDeletedTo = answer.SequenceNr;
    }

    private async Task<(long Expired, int Files, string? Held)> ExpireRawAsync(DateTimeOffset now, bool force, CancellationToken cancel)
    {
        var cutoffMs = (now - policy.Hot).ToUnixTimeMilliseconds();
        var cutoff = TimeText.FromUnixMs(cutoffMs);
        var lingered = TimeText.FromUnixMs(cutoffMs - (long)Linger.TotalMilliseconds);
        var vector = store.Replication.VersionVector();
        var limits = new Dictionary<string, long>(vector);
        string? held = null;
        if (uplink.Target is { } target)
        {
            try
            {
                await using var cloud = new CloudWriter(target, settings.NodeName);
                await cloud.ConnectAsync(cancel);
                var cursors = await cloud.CursorsAsync(cancel);
                foreach (var origin in limits.Keys.ToList()) limits[origin] = Math.Min(limits[origin], cursors.GetValueOrDefault(origin));
                if (limits.Any(l => l.Value < vector[l.Key]))
                    held = "raw readings the uplink has not delivered yet stay in the hot tier until the cloud holds them";
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (0, 0, $"no raw reading expired: the uplink's cursors could not be read from the cloud ({e.Message})");
            }
        }
        long expired = 0;
        var files = 0;
        foreach (var (origin, limit) in limits.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            while (store.Retention.NextChunk(origin, cutoff, limit, ChunkRows) is { } chunk)
            {
                var chunkStarted = Environment.TickCount64;
                var firstAge = RetentionStore.AgeOf(chunk.Readings[0].Timestamp, chunk.Readings[0].ReceivedAt);
                if (!force && chunk.Readings.Count < ChunkRows && string.CompareOrdinal(firstAge, lingered) >= 0) break;
                if (policy.Archive)
                {
                    await _archive.WriteAsync(chunk, cancel);
                    files++;
                }
                foreach (var (from, through) in RetentionStore.Ranges(chunk))
                    expired += await WriteAsync(() => store.Retention.ExpireRange(origin, from, through), cancel);
                // While readings arrive, expiry takes at most half of the time: ingestion keeps its pace.
                if (Environment.TickCount64 - store.Writer.LastAppliedAt < 500)
                    await Task.Delay(TimeSpan.FromMilliseconds(Environment.TickCount64 - chunkStarted), cancel);
                if (chunk.Readings.Count < ChunkRows) break;
            }
        }
        return (expired, files, held);
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        _archive.RemoveTemporaryFiles();
        // The first run comes one interval after start: a node that boots serves first.
        using var timer = new PeriodicTimer(policy.Every);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                try
                {
                    await RunAsync(force: false, stopping);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Retention run failed; it runs again in {Every}", policy.Every);
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
