using Akka.Cluster;
using EdgeCluster.Actors;

namespace EdgeCluster.Tests.Actors;

/// <summary>What a strong operation counts while the split brain resolver removes a cut-off member.</summary>
public sealed class MembershipTests
{
    [Fact]
    public void A_downed_member_that_is_still_unreachable_is_neither_counted_nor_subtracted()
    {
        // n3 was cut off, then downed: until it is removed it stays in the unreachable set.
        (MemberStatus, bool)[] view = [(MemberStatus.Up, false), (MemberStatus.Up, false), (MemberStatus.Down, true)];
        var members = Membership.Members(view.Select(v => v.Item1));
        Assert.Equal(2, members);
        Assert.Equal(2, Membership.Reachable(view));
        Assert.True(Membership.Reachable(view) >= Membership.Majority(members), "the two that reach each other are a majority");
    }

    [Fact]
    public void An_unreachable_member_still_up_is_counted_and_not_reached()
    {
        (MemberStatus, bool)[] view = [(MemberStatus.Up, false), (MemberStatus.Up, true), (MemberStatus.Up, true), (MemberStatus.Leaving, false)];
        Assert.Equal(4, Membership.Members(view.Select(v => v.Item1)));
        Assert.Equal(2, Membership.Reachable(view));
        Assert.Equal(3, Membership.Majority(4));
        (MemberStatus, bool)[] joining = [(MemberStatus.Joining, false), (MemberStatus.Removed, true), (MemberStatus.Exiting, false)];
        Assert.Equal(2, Membership.Reachable(joining));
    }
}
