using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeCluster.Tests.Cluster;

/// <summary>Partitions injected through the management API: the throttler blackholes real remoting links between real nodes.</summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
public sealed class PartitionSpecs
{
    [Fact]
    public async Task In_the_AP_profile_both_sides_keep_serving_and_converge_after_heal()
    {
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap");
        await cluster[0].PostReadingAsync(40, 20, 40, seq: 1);
        await Eventually.AssertAsync(async () => Assert.Single(await cluster[2].ReadingsAsync(40)));

        var isolate = await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "node-2" });
        Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);
        await cluster.WaitForUnreachableAsync(cluster[0], 1);
        await cluster.WaitForUnreachableAsync(cluster[2], 2);

        var status = await (await cluster[1].Http.GetAsync("/api/admin/partition")).ReadJsonAsync();
        Assert.True(status.GetProperty("partitioned").GetBoolean());
        var isolated = status.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("member").GetString() == "node-2");
        Assert.Equal(2, isolated.GetProperty("state").GetProperty("links").GetArrayLength());

        // Both sides accept eventual readings while cut off from each other.
        for (var seq = 2; seq <= 6; seq++)
        {
            await cluster[2].PostReadingAsync(40, 20 + seq, 40, seq);
            await cluster[0].PostReadingAsync(41, 20 + seq, 40, seq);
        }
        // A strong write needs a majority of all three: the isolated member refuses it, the majority side takes it.
        var minority = await cluster[2].Http.PutAsJsonAsync("/api/kv/cap?consistency=strong", new { value = "minority" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, minority.StatusCode);
        var majority = await cluster[0].Http.PutAsJsonAsync("/api/kv/cap?consistency=strong", new { value = "majority" });
        Assert.Equal(HttpStatusCode.OK, majority.StatusCode);
        // Nothing crosses the cut: the majority side has not seen the minority's readings.
        Assert.Single(await cluster[0].ReadingsAsync(40));
        Assert.Empty(await cluster[2].ReadingsAsync(41));

        var heal = await cluster[2].Http.PostAsync("/api/admin/partition/heal", null);
        Assert.Equal(HttpStatusCode.OK, heal.StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                Assert.Equal(6, (await node.ReadingsAsync(40)).Count);
                Assert.Equal(5, (await node.ReadingsAsync(41)).Count);
                Assert.Empty(node.Cluster.State.Unreachable);
            }
        }, TimeSpan.FromSeconds(40));
        // No member was downed in the AP profile.
        Assert.All(cluster.Running, n => Assert.Equal(3, n.Cluster.State.Members.Count));
        var after = await (await cluster[0].Http.GetAsync("/api/admin/partition")).ReadJsonAsync();
        Assert.False(after.GetProperty("partitioned").GetBoolean());
    }

    [Fact]
    public async Task In_the_CP_profile_a_cut_off_member_refuses_writes_by_default_but_takes_eventual_ones()
    {
        await using var cluster = await TestCluster.StartAsync(3, profile: "cp");
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "node-2" })).StatusCode);
        await cluster.WaitForUnreachableAsync(cluster[2], 2);

        // Strong is the profile's default: refused at once, before anything is stored.
        var started = DateTime.UtcNow;
        var refused = await cluster[2].Http.PostAsJsonAsync("/api/reading", new { device_id = 50, temperature = 20.0, humidity = 40, seq = 1 });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("nothing was stored", (await refused.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.Empty(cluster[2].Store.Queries.Readings(50, 10, null, null));
        // Asked for eventual, the cut-off member stores it; the majority side takes the default strong write.
        var eventual = await cluster[2].Http.PostAsJsonAsync("/api/reading?consistency=eventual", new { device_id = 50, temperature = 20.0, humidity = 40, seq = 2 });
        Assert.Equal(HttpStatusCode.OK, eventual.StatusCode);
        var majority = await cluster[0].Http.PostAsJsonAsync("/api/reading", new { device_id = 51, temperature = 20.0, humidity = 40, seq = 1 });
        Assert.Equal(HttpStatusCode.OK, majority.StatusCode);
        Assert.Equal("strong", (await majority.ReadJsonAsync()).GetProperty("consistency").GetString());

        Assert.Equal(HttpStatusCode.OK, (await cluster[1].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
    }

    [Fact]
    public async Task A_split_cuts_every_link_between_the_groups_and_bad_commands_name_the_field()
    {
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap");
        var http = cluster[1].Http;

        var unknown = await http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "node-9" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var unknownBody = await unknown.ReadJsonAsync();
        Assert.Equal("member", unknownBody.GetProperty("field").GetString());
        Assert.Contains("node-0", unknownBody.GetProperty("error").GetString());

        var twice = await http.PostAsJsonAsync("/api/admin/partition/split", new { groups = new[] { new[] { "node-0", "node-1" }, new[] { "node-1", "node-2" } } });
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal("groups", (await twice.ReadJsonAsync()).GetProperty("field").GetString());
        var missing = await http.PostAsJsonAsync("/api/admin/partition/split", new { groups = new[] { new[] { "node-0" }, new[] { "node-1" } } });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("node-2", (await missing.ReadJsonAsync()).GetProperty("error").GetString());

        var split = await http.PostAsJsonAsync("/api/admin/partition/split", new { groups = new[] { new[] { "node-0" }, new[] { "node-1", "node-2" } } });
        Assert.Equal(HttpStatusCode.OK, split.StatusCode);
        await cluster.WaitForUnreachableAsync(cluster[0], 2);
        await cluster.WaitForUnreachableAsync(cluster[1], 1);
        var links = await (await cluster[2].Http.GetAsync("/api/admin/links")).ReadJsonAsync();
        Assert.Equal("node-0", links.GetProperty("links").EnumerateArray().Single().GetProperty("node_name").GetString());

        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
        await Eventually.AssertAsync(() =>
        {
            Assert.All(cluster.Running, n => Assert.Empty(n.Cluster.State.Unreachable));
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task With_an_admin_token_the_management_api_wants_it()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, adminToken: "s3cret");
        var without = await node.Http.GetAsync("/api/admin/links");
        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal("Authorization", (await without.ReadJsonAsync()).GetProperty("field").GetString());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/admin/links");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await node.Http.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/admin/links");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var ok = await node.Http.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(0, (await ok.ReadJsonAsync()).GetProperty("links").GetArrayLength());
        // Readings need no token.
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("/api/health")).StatusCode);
    }
}
