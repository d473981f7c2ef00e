using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Contracts;

namespace EdgeCluster.Tests.Cluster;

/// <summary>
/// Every member knows every other member's node name and HTTP address from the join itself, not from replication:
/// with replication pulling once in ten minutes, a partition command still reaches all members.
/// </summary>
[Trait("Category", "Slow")]
[Collection(Support.InProcessClusterCollection.Name)]
public sealed class MemberDirectorySpecs
{
    [Fact]
    public async Task A_partition_command_reaches_every_member_whatever_the_replication_interval()
    {
        await using var cluster = await TestCluster.StartAsync(3, replicationIntervalMs: 600_000);

        var view = await cluster[0].Http.GetFromJsonAsync<ClusterView>("/api/cluster", ApiJson.Options);
        Assert.Equal(["node-0", "node-1", "node-2"], view!.Members.Select(m => m.NodeName).Order());
        Assert.All(view.Members, m => Assert.StartsWith("http://127.0.0.1:", m.HttpUrl));
        Assert.All(view.Members, m => Assert.Equal(["coordinator", "edge", "inference"], m.Roles));

        var isolate = await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new MemberRequest("node-1"), ApiJson.Options);
        var applied = await isolate.Content.ReadFromJsonAsync<FanOutResult>(ApiJson.Options);
        Assert.True(isolate.StatusCode == HttpStatusCode.OK, applied?.Error);
        Assert.Equal(3, applied!.Members.Count(m => m.Ok));

        var heal = await cluster[2].Http.PostAsync("/api/admin/partition/heal", null);
        Assert.Equal(HttpStatusCode.OK, heal.StatusCode);
        var partition = await cluster[1].Http.GetFromJsonAsync<PartitionView>("/api/admin/partition", ApiJson.Options);
        Assert.False(partition!.Partitioned);
        Assert.All(partition.Members, m => Assert.Null(m.Error));
    }
}
