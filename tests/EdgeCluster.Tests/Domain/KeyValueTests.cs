using EdgeCluster.Domain;

namespace EdgeCluster.Tests.Domain;

public class KeyValueTests
{
    private static Dictionary<string, long> C(params (string Node, long Counter)[] entries) => entries.ToDictionary(e => e.Node, e => e.Counter);

    [Theory]
    [InlineData(1, 1, 1, 1, Causality.Equal)]
    [InlineData(1, 0, 2, 0, Causality.Before)]
    [InlineData(2, 1, 1, 1, Causality.After)]
    [InlineData(2, 0, 1, 1, Causality.Concurrent)]
    public void Vector_clocks_compare_by_every_member(long a1, long a2, long b1, long b2, Causality expected) =>
        Assert.Equal(expected, VectorClock.Compare(C(("a", a1), ("b", a2)), C(("a", b1), ("b", b2))));

    [Fact]
    public void A_write_supersedes_every_sibling_it_has_seen()
    {
        var onA = Siblings.Write([], "a", "1", 100);
        var onB = Siblings.Write([], "b", "2", 101);
        var both = Siblings.Merge(onA, onB);
        Assert.Equal(2, both.Count);

        var resolved = Siblings.Write(both, "c", "3", 102);
        var sibling = Assert.Single(resolved);
        Assert.Equal(C(("a", 1), ("b", 1), ("c", 1)), sibling.Clock);
        Assert.Single(Siblings.Merge(both, resolved));
    }

    [Fact]
    public void Merging_is_commutative_associative_and_idempotent()
    {
        var x = Siblings.Write([], "a", "1", 1);
        var y = Siblings.Write(x, "b", "2", 2);
        var z = Siblings.Write([], "c", "3", 3);
        Assert.Equal(Siblings.Merge(x, z), Siblings.Merge(z, x));
        Assert.Equal(Siblings.Merge(Siblings.Merge(x, y), z), Siblings.Merge(x, Siblings.Merge(y, z)));
        Assert.Equal(Siblings.Merge(y, z), Siblings.Merge(Siblings.Merge(y, z), Siblings.Merge(y, z)));
        Assert.Equal(["2", "3"], Siblings.Merge(Siblings.Merge(x, y), z).Select(s => s.ValueJson));
    }

    [Fact]
    public void Last_writer_wins_by_wall_clock_then_by_writer()
    {
        var siblings = Siblings.Merge(Siblings.Write([], "a", "old", 100), Siblings.Write([], "b", "new", 200));
        Assert.Equal("new", Siblings.ResolveLww(siblings).ValueJson);
        var tie = Siblings.Merge(Siblings.Write([], "a", "from-a", 100), Siblings.Write([], "b", "from-b", 100));
        Assert.Equal("from-b", Siblings.ResolveLww(tie).ValueJson);
    }
}
