namespace EdgeCluster.Node.Uplink;

/// <summary>What the uplink service last saw, for GET /api/uplink and edgectl; written by the service, read by requests.</summary>
public sealed class UplinkStatus(UplinkTarget? target, int rateCap)
{
    private readonly object _gate = new();
    private readonly Queue<(DateTimeOffset At, int Count)> _recent = new();
    private string _state = target is null ? "off" : "connecting";
    private DateTimeOffset? _downSince;
    private string? _lastError;
    private DateTimeOffset? _lastUploadAt;
    private long _uploaded;
    private IReadOnlyDictionary<string, long> _cursors = new Dictionary<string, long>();
    private IReadOnlySet<string> _owned = new HashSet<string>();

    public UplinkTarget? Target => target;

    /// <summary>Readings this member holds (<paramref name="held"/>, its version vector) that the cloud's cursors do not cover.</summary>
    public static long Backlog(IReadOnlyDictionary<string, long> held, IReadOnlyDictionary<string, long> cursors) =>
        held.Sum(o => Math.Max(0, o.Value - cursors.GetValueOrDefault(o.Key)));

    /// <summary>How long the oldest reading here that the cloud lacks has waited, in seconds; null when it lacks none.</summary>
    public static double? BacklogAgeS(EdgeCluster.Storage.ReplicationSource replication, IReadOnlyDictionary<string, long> cursors) =>
        replication.OldestAfter(cursors) is { } at ? Math.Round((DateTimeOffset.UtcNow - at).TotalSeconds, 1) : null;
    public int RateCap => rateCap;

    public record Snapshot(string State, DateTimeOffset? DownSince, string? LastError, DateTimeOffset? LastUploadAt, long Uploaded,
        double ReadingsPerSecond, IReadOnlyDictionary<string, long> Cursors, IReadOnlySet<string> Owned);

    public Snapshot Read()
    {
        lock (_gate)
        {
            Trim(DateTimeOffset.UtcNow);
            var perSecond = _recent.Sum(r => r.Count) / Window.TotalSeconds;
            return new Snapshot(_state, _downSince, _lastError, _lastUploadAt, _uploaded, Math.Round(perSecond, 1), _cursors, _owned);
        }
    }

    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    /// <summary>Marks the uplink up; answers whether it was not up before.</summary>
    public bool Up(IReadOnlyDictionary<string, long> cursors, IReadOnlySet<string> owned)
    {
        lock (_gate)
        {
            var changed = _state != "up";
            _state = "up";
            _downSince = null;
            _cursors = cursors;
            _owned = owned;
            return changed;
        }
    }

    /// <summary>Marks the uplink down with its reason; answers whether the reason is new (worth a log line).</summary>
    public bool Down(string reason)
    {
        lock (_gate)
        {
            var changed = _state != "down" || _lastError != reason;
            if (_state != "down") _downSince = DateTimeOffset.UtcNow;
            _state = "down";
            _lastError = reason;
            return changed;
        }
    }

    public void Uploaded(int count)
    {
        lock (_gate)
        {
            var now = DateTimeOffset.UtcNow;
            _uploaded += count;
            _lastUploadAt = now;
            _recent.Enqueue((now, count));
            Trim(now);
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (_recent.Count > 0 && now - _recent.Peek().At > Window) _recent.Dequeue();
    }
}
