using Akka.Actor;
using EdgeCluster.Actors;
using EdgeCluster.Node.Http;
using Microsoft.AspNetCore.Http;

namespace EdgeCluster.Tests.Http;

/// <summary>
/// How a split's named groups become members. The case that stopped a flapping soak: a node restarted on an Akka port
/// the OS chose is listed twice while its downed incarnation is still known, and the split named it once.
/// </summary>
public sealed class SplitGroupsTests
{
    private static MemberEntry Entry(string name, int port, string status = "Up") =>
        new(new Address("akka", "edgecluster", "127.0.0.1", port), name, $"http://127.0.0.1:{5000 + port}", status, true, [], false);

    private static (IReadOnlyList<IReadOnlyList<MemberEntry>> Groups, IResult? Error) Place(IReadOnlyList<MemberEntry> peers, params string[][] names) =>
        AdminEndpoints.PlaceInGroups(peers, names);

    [Fact]
    public void A_node_listed_twice_goes_with_the_group_that_names_it()
    {
        var oldN3 = Entry("n3", 3, "Down");
        var newN3 = Entry("n3", 13, "Joining");
        var peers = new[] { Entry("n1", 1), Entry("n2", 2), oldN3, newN3 };

        var (groups, error) = Place(peers, ["n1", "n2"], ["n3"]);

        Assert.Null(error);
        Assert.Equal(["n1", "n2"], groups[0].Select(m => m.Label));
        Assert.Equal(new[] { oldN3, newN3 }.OrderBy(m => m.Address.Port), groups[1].OrderBy(m => m.Address.Port));
    }

    [Fact]
    public void A_member_left_out_is_named_once_and_a_member_named_twice_is_refused()
    {
        var peers = new[] { Entry("n1", 1), Entry("n2", 2), Entry("n3", 3, "Down"), Entry("n3", 13) };

        var (_, missing) = Place(peers, ["n1"], ["n2"]);
        var body = Assert.IsAssignableFrom<IValueHttpResult>(missing).Value!;
        Assert.Equal(400, Assert.IsAssignableFrom<IStatusCodeHttpResult>(missing).StatusCode);
        Assert.Contains("not placed: n3\"", System.Text.Json.JsonSerializer.Serialize(body));

        var (_, twice) = Place(peers, ["n1", "n3"], ["n2", "n3"]);
        Assert.Contains("in more than one group", System.Text.Json.JsonSerializer.Serialize(Assert.IsAssignableFrom<IValueHttpResult>(twice).Value));

        var (_, unknown) = Place(peers, ["n1", "n2"], ["n9"]);
        Assert.Equal(404, Assert.IsAssignableFrom<IStatusCodeHttpResult>(unknown).StatusCode);
    }
}
