namespace EdgeCluster.Domain;

/// <summary>What a reading's seq means to its device: new, already stored, or held by a write still in flight.</summary>
public enum SeqStatus { New, Duplicate, InFlight }

/// <summary>
/// One device's state: its registry entry, the seqs it has stored (a sliding window above the
/// highest seq, older ones answered by the read model) and its latest reading.
/// </summary>
public sealed class DeviceState
{
    /// <summary>How far below the highest seq the state remembers seqs itself.</summary>
    public const long SeqWindow = 65_536;

    private readonly HashSet<long> _storedInWindow = new();
    private readonly HashSet<long> _inFlight = new();
    private readonly Func<long, bool> _storedBelowWindow;

    public DeviceState(int deviceId, DeviceInfo? info, long? highestSeq, IEnumerable<long> recentSeqs,
        Reading? latest, Func<long, bool> storedBelowWindow)
    {
        DeviceId = deviceId;
        Info = info;
        HighestSeq = highestSeq;
        Latest = latest;
        _storedBelowWindow = storedBelowWindow;
        foreach (var seq in recentSeqs) _storedInWindow.Add(seq);
    }

    public int DeviceId { get; }
    public DeviceInfo? Info { get; private set; }
    public bool IsRegistered => Info is not null;
    public long? HighestSeq { get; private set; }
    public Reading? Latest { get; private set; }
    public int InFlightCount => _inFlight.Count;

    public SeqStatus Check(long seq)
    {
        if (_inFlight.Contains(seq)) return SeqStatus.InFlight;
        if (HighestSeq is { } highest && seq <= highest - SeqWindow)
            return _storedBelowWindow(seq) ? SeqStatus.Duplicate : SeqStatus.New;
        return _storedInWindow.Contains(seq) ? SeqStatus.Duplicate : SeqStatus.New;
    }

    public void Register(DeviceInfo info) => Info = info;

    public void Reserve(long seq) => _inFlight.Add(seq);

    public void Release(long seq) => _inFlight.Remove(seq);

    /// <summary>Records readings the journal has stored: their seqs move from in flight to stored.</summary>
    public void Stored(Reading reading)
    {
        if (Latest is null || reading.DeviceTimeMs >= Latest.DeviceTimeMs) Latest = reading;
        if (reading.Seq is not { } seq) return;
        _inFlight.Remove(seq);
        _storedInWindow.Add(seq);
        if (HighestSeq is null || seq > HighestSeq)
        {
            HighestSeq = seq;
            var floor = seq - SeqWindow;
            if (_storedInWindow.Count > SeqWindow * 2) _storedInWindow.RemoveWhere(s => s <= floor);
        }
    }
}
