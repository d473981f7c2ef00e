using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Hosting;
using EdgeCluster.Domain;

namespace EdgeCluster.Actors.KeyValue;

public static class KeyValueProtocol
{
    public sealed record Put(string Key, string ValueJson, bool Strong);

    public sealed record Get(string Key, bool Strong);

    public interface IKeyValueResult;

    /// <summary>
    /// The key's siblings after the write or as read. An eventual operation was <paramref name="Acknowledged"/> by this
    /// member alone; a strong one was confirmed by DistributedData's majority consistency, which says that at least
    /// <paramref name="Required"/> of <paramref name="Members"/> answered, not how many: no count is made up for it.
    /// </summary>
    public sealed record Value(string Key, IReadOnlyList<Sibling> Siblings, int? Acknowledged, int? Required, int Members) : IKeyValueResult;

    public sealed record NotFound(string Key) : IKeyValueResult;

    /// <summary>A strong operation that no majority of the whole membership confirmed.</summary>
    public sealed record NoMajority(string Key, int Reachable, int Required, int Members, string Reason) : IKeyValueResult;
}

/// <summary>
/// The key-value store for consistency experiments, on Akka.DistributedData: each key a
/// multi-value register with vector clocks, so concurrent writes on different members are kept as
/// siblings. Eventual operations are local; strong ones need a majority of the whole membership,
/// reachable or not. The count is checked here before DistributedData is asked, because a
/// replicator that knows no other member would take a majority write as a local one.
/// </summary>
public sealed class KeyValueActor : ReceiveActor
{
    private static readonly TimeSpan StrongTimeout = TimeSpan.FromSeconds(4);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly Cluster _cluster = Cluster.Get(Context.System);

    public KeyValueActor(string nodeName)
    {
        Receive<KeyValueProtocol.Put>(put =>
        {
            if (put.Strong && !Majority(put.Key, out var refusal)) Sender.Tell(refusal);
            else PutAsync(put, nodeName, MemberCount(), Reachable()).PipeTo(Sender);
        });
        Receive<KeyValueProtocol.Get>(get =>
        {
            if (get.Strong && !Majority(get.Key, out var refusal)) Sender.Tell(refusal);
            else GetAsync(get, MemberCount(), Reachable()).PipeTo(Sender);
        });
    }

    // Runs outside the actor's turn: it touches only the replicator and what it was given.
    private async Task<KeyValueProtocol.IKeyValueResult> PutAsync(KeyValueProtocol.Put put, string nodeName, int members, int reachable)
    {
        var key = new MultiValueRegisterKey("kv-" + put.Key);
        IWriteConsistency consistency = put.Strong ? new WriteMajority(StrongTimeout) : WriteLocal.Instance;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var update = await _replicator.Ask<IUpdateResponse>(Dsl.Update(key, MultiValueRegister.Empty, consistency,
            register => register.Write(nodeName, put.ValueJson, now)), StrongTimeout + TimeSpan.FromSeconds(1));
        if (update is StoreFailure)
            return new KeyValueProtocol.NoMajority(put.Key, reachable, Membership.Majority(members), members,
                "the write could not be stored on this member's disk (see its log); it is not acknowledged");
        if (update is not UpdateSuccess)
            return new KeyValueProtocol.NoMajority(put.Key, reachable, Membership.Majority(members), members,
                "the write was not confirmed by a majority in time; it is kept on this member and may still spread");
        var read = await _replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance));
        return Answer(put.Key, Registers(read, key), put.Strong, members);
    }

    private async Task<KeyValueProtocol.IKeyValueResult> GetAsync(KeyValueProtocol.Get get, int members, int reachable)
    {
        var key = new MultiValueRegisterKey("kv-" + get.Key);
        IReadConsistency consistency = get.Strong ? new ReadMajority(StrongTimeout) : ReadLocal.Instance;
        var read = await _replicator.Ask<IGetResponse>(Dsl.Get(key, consistency), StrongTimeout + TimeSpan.FromSeconds(1));
        return read switch
        {
            GetSuccess success => Answer(get.Key, success.Get(key).Siblings, get.Strong, members),
            NotFound => new KeyValueProtocol.NotFound(get.Key),
            _ => new KeyValueProtocol.NoMajority(get.Key, reachable, Membership.Majority(members), members, "a majority did not answer the read in time"),
        };
    }

    private static KeyValueProtocol.Value Answer(string key, IReadOnlyList<Sibling> siblings, bool strong, int members) =>
        strong
            ? new KeyValueProtocol.Value(key, siblings, Acknowledged: null, Required: Membership.Majority(members), members)
            : new KeyValueProtocol.Value(key, siblings, Acknowledged: 1, Required: null, members);

    private static IReadOnlyList<Sibling> Registers(IGetResponse response, MultiValueRegisterKey key) =>
        response is GetSuccess success ? success.Get(key).Siblings : [];

    // Every member the cluster has, reachable or not: a majority is of the whole lab.
    private int MemberCount() => Membership.Members(_cluster.State);

    // A node that is not a member (joining, or starting again after it was downed) reaches nobody.
    private int Reachable() => Membership.SelfIsMember(_cluster) ? Membership.Reachable(_cluster.State) : 0;

    private bool Majority(string key, out KeyValueProtocol.NoMajority refusal)
    {
        var members = MemberCount();
        var required = Membership.Majority(members);
        var reachable = Reachable();
        refusal = new KeyValueProtocol.NoMajority(key, reachable, required, members,
            Membership.SelfIsMember(_cluster)
                ? $"only {reachable} of {members} members are reachable; a strong operation needs {required}"
                : Membership.NotAMember);
        return reachable >= required;
    }
}

public static class KeyValueHosting
{
    public static AkkaConfigurationBuilder AddKeyValueStore(this AkkaConfigurationBuilder builder, string nodeName) =>
        builder.WithActors((system, registry, _) =>
            registry.Register<KeyValueActor>(system.ActorOf(Props.Create(() => new KeyValueActor(nodeName)), "kv")));
}
