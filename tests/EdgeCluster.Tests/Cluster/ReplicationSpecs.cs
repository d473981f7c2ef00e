using System.Net.Http.Json;
using System.Text.Json;
using Akka.Actor;
using EdgeCluster.Actors.Replication;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Tests.Cluster;

/// <summary>Multi-node specs: several whole nodes in this process, real remoting on 127.0.0.1.</summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
public sealed class ReplicationSpecs
{
    private static async Task<HashSet<long>> SeqsAsync(TestNode node, int device) =>
        (await node.ReadingsAsync(device)).Select(r => r.GetProperty("seq").GetInt64()).ToHashSet();

    private static Task AllHoldAsync(IEnumerable<TestNode> nodes, int device, IEnumerable<long> seqs, TimeSpan? within = null)
    {
        var expected = seqs.ToHashSet();
        return Eventually.AssertAsync(async () =>
        {
            foreach (var node in nodes)
            {
                var readings = await node.ReadingsAsync(device);
                Assert.Equal(expected.Count, readings.Count);
                Assert.Equal(expected, readings.Select(r => r.GetProperty("seq").GetInt64()).ToHashSet());
            }
        }, within);
    }

    [Fact]
    public async Task Readings_posted_to_different_members_converge_on_every_member()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        for (var seq = 1; seq <= 60; seq++)
            await cluster[seq % 3].PostReadingAsync(1, 20 + seq % 5, 50, seq);

        await AllHoldAsync(cluster.Running, 1, Enumerable.Range(1, 60).Select(i => (long)i));

        var view = await (await cluster[0].Http.GetAsync("/api/cluster")).ReadJsonAsync();
        Assert.Equal(3, view.GetProperty("members").GetArrayLength());
        Assert.All(view.GetProperty("members").EnumerateArray(), m =>
        {
            Assert.Equal("Up", m.GetProperty("status").GetString());
            Assert.True(m.GetProperty("reachable").GetBoolean());
        });
        var vector = view.GetProperty("version_vector");
        foreach (var origin in new[] { "node-0", "node-1", "node-2" })
        {
            Assert.Equal(20, vector.GetProperty(origin).GetProperty("highest").GetInt64());
            Assert.Equal(0, vector.GetProperty(origin).GetProperty("lag").GetInt64());
        }
        var names = view.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("node_name").GetString()).ToHashSet();
        Assert.Equal(["node-0", "node-1", "node-2"], names.Order());
        Assert.StartsWith("http://127.0.0.1:", view.GetProperty("self").GetProperty("http_url").GetString());
    }

    [Fact]
    public async Task A_journaled_reading_is_pushed_to_every_member_without_waiting_for_a_pull()
    {
        // Pulls every ten minutes: within this test only the push can carry readings.
        await using var cluster = await TestCluster.StartAsync(3, replicationIntervalMs: 600_000,
            configure: (_, settings) => settings with { ReplicationPush = true });
        for (var seq = 1; seq <= 30; seq++)
            await cluster[seq % 3].PostReadingAsync(7, 21, 50, seq);
        await AllHoldAsync(cluster.Running, 7, Enumerable.Range(1, 30).Select(i => (long)i), TimeSpan.FromSeconds(10));
        var pushed = await cluster[0].Http.GetStringAsync("/metrics");
        Assert.Matches(@"edge_replication_pushed_(readings_)?total\S* [1-9]", pushed);
    }

    [Fact]
    public async Task A_member_that_was_away_catches_up_with_its_data_after_a_restart()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        for (var seq = 1; seq <= 10; seq++) await cluster[2].PostReadingAsync(2, 21, 40, seq);
        await AllHoldAsync(cluster.Running, 2, Enumerable.Range(1, 10).Select(i => (long)i));

        await cluster.StopNodeAsync(2);
        await cluster.WaitForMembersAsync(2);
        for (var seq = 11; seq <= 200; seq++) await cluster[seq % 2].PostReadingAsync(2, 22, 41, seq);

        var restarted = await cluster.RestartNodeAsync(2);
        await cluster.WaitForMembersAsync(3);
        await AllHoldAsync([restarted], 2, Enumerable.Range(1, 200).Select(i => (long)i));
        // Its own readings came back from its own journal, under its own name.
        Assert.Equal(10, restarted.Store.Replication.VersionVector()["node-2"]);
    }

    /// <summary>
    /// More history than one pull carries (20,000 readings): the late member's pulls come back full, and each next pull
    /// goes before the reply ahead of it is applied. Every reading arrives once, and no stretch of an origin is skipped.
    /// </summary>
    [Fact]
    public async Task A_member_joining_later_receives_the_whole_history()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        const int total = 50_000;
        var readings = Enumerable.Range(1, total).Select(i => new { device_id = 3 + i % 3, temperature = 20.0, humidity = 50, seq = i }).ToList();
        foreach (var (batch, k) in readings.Chunk(5_000).Select((b, k) => (b, k)))
        {
            // Most on one member (an origin longer than two pulls), the rest on the other.
            var response = await cluster[k < 8 ? 0 : 1].Http.PostAsJsonAsync("/api/readings/batch", batch);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var late = await cluster.AddNodeAsync();
        await cluster.WaitForMembersAsync(3);
        await Eventually.AssertAsync(() =>
        {
            Assert.Equal(total, late.Store.Queries.CountReadings());
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(60));
        Assert.Equal(cluster[0].Store.Replication.VersionVector(), late.Store.Replication.VersionVector());
    }

    [Fact]
    public async Task A_reading_retried_against_another_member_is_stored_once_and_the_same_everywhere()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        // The first acknowledgment was lost; the board retried the same seq on the next member.
        await cluster[1].PostReadingAsync(4, 19.5, 45, seq: 7);
        await cluster[2].PostReadingAsync(4, 19.5, 45, seq: 7);

        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                var reading = Assert.Single(await node.ReadingsAsync(4));
                Assert.Equal("node-1", reading.GetProperty("origin_node").GetString());
            }
        });
    }
}
