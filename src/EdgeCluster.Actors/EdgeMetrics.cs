using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EdgeCluster.Actors;

/// <summary>
/// The node's own metrics on System.Diagnostics.Metrics (meter <c>EdgeCluster</c>), exported with ASP.NET Core's and the
/// runtime's on <c>GET /metrics</c> in Prometheus text format. Names follow OpenTelemetry's conventions; the exporter turns
/// <c>edge.readings.accepted</c> into <c>edge_readings_accepted_total</c>.
/// </summary>
public static class EdgeMetrics
{
    public const string MeterName = "EdgeCluster";
    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Accepted = Meter.CreateCounter<long>("edge.readings.accepted", "{reading}",
        "Readings acknowledged, by door (http, mqtt) and outcome (stored, duplicate)");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("edge.readings.rejected", "{reading}",
        "Requests or publishes refused, by door and reason (invalid, unknown_device, unavailable)");
    /// <summary>Bucket boundaries of the histograms, by instrument name (the exporter's views use them).</summary>
    public static readonly IReadOnlyDictionary<string, double[]> Buckets = new Dictionary<string, double[]>
    {
        ["edge.journal.group.size"] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000],
        ["edge.journal.write.duration"] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
        ["edge.read_model.apply.duration"] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    };

    private static readonly Histogram<int> GroupSize = Meter.CreateHistogram<int>("edge.journal.group.size", "{reading}",
        "Readings per journal write (group commit)");
    private static readonly Histogram<double> WriteSeconds = Meter.CreateHistogram<double>("edge.journal.write.duration", "s",
        "Time from a journal write's start to its confirmation");
    private static readonly Histogram<double> ApplySeconds = Meter.CreateHistogram<double>("edge.read_model.apply.duration", "s",
        "Time to apply one transaction of readings to the read model, by source (journal, replication)");
    private static readonly Counter<long> ApplyFailures = Meter.CreateCounter<long>("edge.read_model.apply.failures", "{transaction}",
        "Read-model transactions that failed and were rolled back (the writer tries them again until they commit)");
    private static readonly Counter<long> Pulled = Meter.CreateCounter<long>("edge.replication.pulled", "{reading}",
        "Readings this member pulled from other members and did not hold");
    private static readonly Counter<long> PushedIn = Meter.CreateCounter<long>("edge.replication.pushed", "{reading}",
        "Readings other members pushed to this member as they journaled them, and this member did not hold");
    private static readonly Counter<long> Expired = Meter.CreateCounter<long>("edge.retention.expired", "{reading}",
        "Raw readings that left the hot tier");

    private static readonly ConcurrentDictionary<string, long> Lag = new();
    private static Func<IEnumerable<(string Status, int Count)>>? _members;
    private static Func<int>? _unreachable;
    private static volatile CoordinatorSnapshot? _coordinator;

    /// <summary>The inference coordinator's queues and tasks, on the member that hosts it.</summary>
    public sealed record CoordinatorSnapshot(int QueueHigh, int QueueMedium, int QueueLow, int Running, long Completed, long Failed);

    static EdgeMetrics()
    {
        Meter.CreateObservableGauge("edge.replication.lag", () => Lag.Select(l => new Measurement<long>(l.Value, new KeyValuePair<string, object?>("origin", l.Key))),
            "{reading}", "Readings of each origin another member holds and this one does not yet, as far as this member knows");
        Meter.CreateObservableGauge("edge.cluster.members", () => (_members?.Invoke() ?? []).Select(m => new Measurement<int>(m.Count, new KeyValuePair<string, object?>("status", m.Status))),
            "{member}", "Members of the cluster by status, as this member sees them");
        Meter.CreateObservableGauge("edge.inference.queue", () => _coordinator is { } c
                ? [Tagged(c.QueueHigh, "priority", "high"), Tagged(c.QueueMedium, "priority", "medium"), Tagged(c.QueueLow, "priority", "low")]
                : Array.Empty<Measurement<long>>(),
            "{task}", "Tasks queued at the inference coordinator, by priority (only on the member that hosts it)");
        Meter.CreateObservableGauge("edge.inference.tasks", () => _coordinator is { } c
                ? [Tagged(c.Running, "state", "running"), Tagged(c.Completed, "state", "completed"), Tagged(c.Failed, "state", "failed")]
                : Array.Empty<Measurement<long>>(),
            "{task}", "Tasks running now, and completed and failed since the coordinator started on this member");
        Meter.CreateObservableGauge("edge.cluster.unreachable", () => _unreachable?.Invoke() ?? 0, "{member}", "Members this member cannot reach");
    }

    private static Measurement<long> Tagged(long value, string key, string tag) => new(value, new KeyValuePair<string, object?>(key, tag));

    public static void Coordinator(CoordinatorSnapshot? snapshot) => _coordinator = snapshot;

    public static void Acknowledged(string door, int stored, int duplicates)
    {
        if (stored > 0) Accepted.Add(stored, new KeyValuePair<string, object?>("door", door), new KeyValuePair<string, object?>("outcome", "stored"));
        if (duplicates > 0) Accepted.Add(duplicates, new KeyValuePair<string, object?>("door", door), new KeyValuePair<string, object?>("outcome", "duplicate"));
    }

    public static void Refused(string door, string reason) =>
        Rejected.Add(1, new KeyValuePair<string, object?>("door", door), new KeyValuePair<string, object?>("reason", reason));

    public static void JournalWrite(int readings, TimeSpan took)
    {
        GroupSize.Record(readings);
        WriteSeconds.Record(took.TotalSeconds);
    }

    public static void ReadModelApply(string source, TimeSpan took) =>
        ApplySeconds.Record(took.TotalSeconds, new KeyValuePair<string, object?>("source", source));

    public static void ReadModelApplyFailed() => ApplyFailures.Add(1);

    public static void ReadingsPushed(long count)
    {
        if (count > 0) PushedIn.Add(count);
    }

    public static void ReadingsPulled(long count)
    {
        if (count > 0) Pulled.Add(count);
    }

    public static void ReadingsExpired(long count)
    {
        if (count > 0) Expired.Add(count);
    }

    /// <summary>The replicator's latest view of how far behind this member is on each origin.</summary>
    public static void ReplicationLag(IReadOnlyDictionary<string, long> held, IReadOnlyDictionary<string, long> knownHighest)
    {
        foreach (var (origin, highest) in knownHighest) Lag[origin] = Math.Max(0, highest - held.GetValueOrDefault(origin));
    }

    /// <summary>Where the membership gauges read from (the node's cluster).</summary>
    public static void ObserveMembers(Func<IEnumerable<(string Status, int Count)>> members, Func<int> unreachable)
    {
        _members = members;
        _unreachable = unreachable;
    }

    public static long Now() => Stopwatch.GetTimestamp();

    public static TimeSpan Since(long started) => Stopwatch.GetElapsedTime(started);
}
