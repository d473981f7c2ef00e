using Akka.DistributedData;
using EdgeCluster.Domain;

namespace EdgeCluster.Actors.KeyValue;

/// <summary>A key of the consistency-experiment store as Akka.DistributedData replicates it: its siblings, merged by vector clock.</summary>
public sealed class MultiValueRegister(IReadOnlyList<Sibling> siblings) : IReplicatedData<MultiValueRegister>
{
    public static readonly MultiValueRegister Empty = new([]);

    public IReadOnlyList<Sibling> Siblings { get; } = siblings;

    public MultiValueRegister Write(string writer, string valueJson, long nowMs) =>
        new(Domain.Siblings.Write(Siblings, writer, valueJson, nowMs));

    public MultiValueRegister Merge(MultiValueRegister other) => new(Domain.Siblings.Merge(Siblings, other.Siblings));

    public IReplicatedData Merge(IReplicatedData other) => Merge((MultiValueRegister)other);

    public override bool Equals(object? obj) => obj is MultiValueRegister other && Siblings.SequenceEqual(other.Siblings);

    public override int GetHashCode() => Siblings.Count;
}

public sealed class MultiValueRegisterKey(string id) : Key<MultiValueRegister>(id);
