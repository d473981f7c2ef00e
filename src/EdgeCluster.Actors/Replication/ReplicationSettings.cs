namespace EdgeCluster.Actors.Replication;

/// <summary>How a member replicates readings: how often it pulls, and how many readings at most per pull.</summary>
public sealed record ReplicationSettings(TimeSpan Interval, int MaxBatch)
{
    /// <summary>Offer each journaled group to the other members at once (the node's --replication-push, on by default); off, the pulls alone replicate.</summary>
    public bool Push { get; init; } = true;

    /// <summary>
    /// How long journaled groups gather before one push carries them all, at a trickle (a board's reading reaches the
    /// other members within about this) and under load: each push is one transaction on every other member, which also
    /// updates the row and rollup of every device in it, so under load fewer, larger pushes cost them far less.
    /// </summary>
    public TimeSpan PushWindow { get; init; } = TimeSpan.FromMilliseconds(10);
    public TimeSpan PushWindowUnderLoad { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A push that carried at least this many readings means load: the next one gathers for <see cref="PushWindowUnderLoad"/>.</summary>
    public int PushLoadReadings { get; init; } = 20;

    /// <summary>Readings that make a push go at once, without waiting for the window to close.</summary>
    public int PushReadings { get; init; } = 5_000;

    public static readonly ReplicationSettings Default = new(TimeSpan.FromMilliseconds(500), 20_000);

    /// <summary>How long a pull may go unanswered before the member pulls from another peer.</summary>
    public TimeSpan PullTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
