using Akka.Actor;
using EdgeCluster.Domain;

namespace EdgeCluster.Actors.Journal;

public static class JournalProtocol
{
    /// <summary>Readings to journal together; the reply goes to <paramref name="ReplyTo"/>.</summary>
    public sealed record Append(IReadOnlyList<Reading> Readings, IActorRef ReplyTo, long CorrelationId);

    /// <summary>Reply to <see cref="Append"/>: journaled and applied to the read model, in request order.</summary>
    public sealed record Appended(long CorrelationId, IReadOnlyList<JournaledReading> Readings);

    /// <summary>Reply to <see cref="Append"/>: nothing of it was journaled.</summary>
    public sealed record AppendFailed(long CorrelationId, string Reason);

    /// <summary>The journal's snapshot: all it needs to go on numbering readings.</summary>
    public sealed record JournalSnapshot(string OriginNode, long LastOriginSeq);

    /// <summary>
    /// Delete the journal's events up to <paramref name="SequenceNr"/> (their readings left the raw tier and are held by the
    /// rollups and the archive): a snapshot first, so the journal goes on numbering from where it was. Answered with
    /// <see cref="Compacted"/> once the events are deleted.
    /// </summary>
    public sealed record Compact(long SequenceNr);

    public sealed record Compacted(long SequenceNr, bool Deleted, string? Error);

    /// <summary>Answered with <see cref="Pong"/>, once the journal recovered: what the node's readiness asks.</summary>
    public sealed record Ping
    {
        public static readonly Ping Instance = new();
    }

    public sealed record Pong;

    /// <summary>Who waits for which slice of a journaled group.</summary>
    public sealed record Waiter(IActorRef ReplyTo, long CorrelationId, int Start, int Count);
}
