namespace EdgeCluster.Domain;

/// <summary>How two vector clocks relate.</summary>
public enum Causality { Equal, Before, After, Concurrent }

public static class VectorClock
{
    public static Causality Compare(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b)
    {
        bool aAhead = false, bAhead = false;
        foreach (var node in a.Keys.Union(b.Keys))
        {
            var x = a.GetValueOrDefault(node);
            var y = b.GetValueOrDefault(node);
            if (x > y) aAhead = true;
            else if (y > x) bAhead = true;
        }
        return (aAhead, bAhead) switch
        {
            (false, false) => Causality.Equal,
            (true, false) => Causality.After,
            (false, true) => Causality.Before,
            _ => Causality.Concurrent,
        };
    }

    public static Dictionary<string, long> Merge(IEnumerable<IReadOnlyDictionary<string, long>> clocks)
    {
        var merged = new Dictionary<string, long>();
        foreach (var clock in clocks)
        foreach (var (node, counter) in clock)
            merged[node] = Math.Max(merged.GetValueOrDefault(node), counter);
        return merged;
    }
}

/// <summary>One value of a key with the vector clock of the write that made it.</summary>
public sealed record Sibling(string ValueJson, IReadOnlyDictionary<string, long> Clock, string Writer, long WrittenAtMs)
{
    public bool Equals(Sibling? other) =>
        other is not null && ValueJson == other.ValueJson && Writer == other.Writer && WrittenAtMs == other.WrittenAtMs &&
        VectorClock.Compare(Clock, other.Clock) == Causality.Equal;

    public override int GetHashCode() => HashCode.Combine(ValueJson, Writer, WrittenAtMs);
}

/// <summary>
/// The values of one key: a write supersedes every value it has seen; writes that did not see
/// each other (on two sides of a partition, or at the same moment on two members) are all kept, as
/// siblings, until a later write resolves them.
/// </summary>
public static class Siblings
{
    /// <summary>A write on <paramref name="writer"/> that has seen every current sibling.</summary>
    public static IReadOnlyList<Sibling> Write(IReadOnlyList<Sibling> current, string writer, string valueJson, long nowMs)
    {
        var clock = VectorClock.Merge(current.Select(s => s.Clock));
        clock[writer] = clock.GetValueOrDefault(writer) + 1;
        return [new Sibling(valueJson, clock, writer, nowMs)];
    }

    /// <summary>Union of both sides, without any sibling another one has seen. Commutative, associative, idempotent.</summary>
    public static IReadOnlyList<Sibling> Merge(IReadOnlyList<Sibling> a, IReadOnlyList<Sibling> b)
    {
        var all = a.Concat(b).Distinct().ToList();
        return all
            .Where(s => !all.Any(other => VectorClock.Compare(other.Clock, s.Clock) == Causality.After))
            .OrderBy(s => s.Writer, StringComparer.Ordinal).ThenBy(s => s.WrittenAtMs).ThenBy(s => s.ValueJson, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Last writer wins: the latest wall-clock write, ties by writer name.</summary>
    public static Sibling ResolveLww(IReadOnlyList<Sibling> siblings) =>
        siblings.OrderByDescending(s => s.WrittenAtMs).ThenByDescending(s => s.Writer, StringComparer.Ordinal).First();
}
