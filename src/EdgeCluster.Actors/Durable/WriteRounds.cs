using Akka.Actor;
using Akka.DistributedData;

namespace EdgeCluster.Actors.Durable;

/// <summary>
/// Group commit for one actor's replicated-data writes. While a round of updates is on its way (to this member's disk
/// for a durable key, to a majority for a strong write), new changes queue; once every update of the round has been
/// answered, everything queued goes out as the next round: one <c>Update</c> per key, the keys in the order they were
/// first touched (those queued as <c>last</c> after the others), each key's changes applied in the order they were
/// queued. Under load a round carries as many changes as arrived during the last one, so the replicator, the remote
/// members and the durable stores see one update where they saw one per change; alone, a change goes out at once.
/// <para>
/// The actor sends every <see cref="IUpdateResponse"/> whose request is a <see cref="Round"/> to <see cref="Answered"/>,
/// which gives back the requests queued with the changes of that key (to answer their askers) and sends the next round.
/// Changes of one key use one consistency; an actor that writes with two (local and majority) keeps a
/// <see cref="WriteRounds"/> for each, so a slow majority does not hold up its local writes.
/// </para>
/// </summary>
public sealed class WriteRounds(IActorRef replicator, IActorRef self)
{
    /// <summary>The request an update of a round carries: the requests queued with its changes.</summary>
    public sealed record Round(WriteRounds Owner, IReadOnlyList<object> Requests);

    private abstract class Pending
    {
        public bool Last;
        public readonly List<object> Requests = new();
        public abstract Update ToUpdate(Round round);
    }

    private sealed class Pending<T>(IKey<T> key, T initial, IWriteConsistency consistency) : Pending where T : IReplicatedData
    {
        public readonly IWriteConsistency Consistency = consistency;
        public readonly List<Func<T, T>> Changes = new();

        public override Update ToUpdate(Round round)
        {
            var changes = Changes.ToArray();
            return Dsl.Update(key, initial, Consistency, round, data =>
            {
                foreach (var change in changes) data = change(data);
                return data;
            });
        }
    }

    private readonly List<(IKey Key, Pending Pending)> _queued = new();
    private int _inFlight;

    /// <summary>Queues a change of <paramref name="key"/>; <paramref name="request"/> comes back from <see cref="Answered"/>.</summary>
    /// <param name="last">this key's update goes out after those of keys queued without it, in the same round.</param>
    public void Queue<T>(IKey<T> key, T initial, IWriteConsistency consistency, Func<T, T> change, object? request = null, bool last = false)
        where T : IReplicatedData
    {
        Pending<T>? pending = null;
        foreach (var (k, p) in _queued)
            if (k.Equals(key)) pending = (Pending<T>)p;
        if (pending is null)
        {
            pending = new Pending<T>(key, initial, consistency) { Last = last };
            _queued.Add((key, pending));
        }
        else if (!pending.Consistency.Equals(consistency))
            throw new ArgumentException($"changes of {key} queued with two consistencies ({pending.Consistency}, {consistency})");
        pending.Changes.Add(change);
        if (request is not null) pending.Requests.Add(request);
    }

    /// <summary>Sends what is queued, unless a round is still on its way (its answer sends it).</summary>
    public void Flush()
    {
        if (_inFlight == 0) FlushNow();
    }

    /// <summary>Sends what is queued whatever is on its way (an actor that stops hands its last changes to the replicator).</summary>
    public void FlushNow()
    {
        foreach (var (_, pending) in _queued.Where(q => !q.Pending.Last).Concat(_queued.Where(q => q.Pending.Last)))
        {
            replicator.Tell(pending.ToUpdate(new Round(this, pending.Requests)), self);
            _inFlight++;
        }
        _queued.Clear();
    }

    /// <summary>Whether <paramref name="response"/> answers an update of these rounds.</summary>
    public bool Owns(IUpdateResponse response) => response.Request is Round round && ReferenceEquals(round.Owner, this);

    /// <summary>One update of a round answered (success or not): its requests, and the next round goes out once none is on its way.</summary>
    public IReadOnlyList<object> Answered(IUpdateResponse response)
    {
        var round = (Round)response.Request;
        _inFlight = Math.Max(0, _inFlight - 1);
        Flush();
        return round.Requests;
    }
}
