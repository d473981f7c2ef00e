namespace EdgeCluster.Domain;

/// <summary>The reading journal's own state: the last origin sequence it handed out.</summary>
public sealed class JournalState
{
    public JournalState(string originNode, long lastOriginSeq = 0)
    {
        OriginNode = originNode;
        LastOriginSeq = lastOriginSeq;
    }

    public string OriginNode { get; }
    public long LastOriginSeq { get; private set; }

    /// <summary>Gives the readings of one group commit consecutive origin sequences after the last one.</summary>
    public ReadingsJournaled Number(IEnumerable<Reading> readings)
    {
        var next = LastOriginSeq;
        var numbered = readings.Select(r => new JournaledReading(r, OriginNode, ++next)).ToList();
        return new ReadingsJournaled(OriginNode, numbered);
    }

    public void Apply(ReadingsJournaled journaled)
    {
        if (journaled.Readings.Count > 0) LastOriginSeq = Math.Max(LastOriginSeq, journaled.LastOriginSeq);
    }
}
