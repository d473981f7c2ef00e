using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeCluster.Tests.Cluster;

/// <summary>
/// Replication and retention agree (multi-node, real remoting on 127.0.0.1): three members hold ten days of readings and
/// expire the raw ones past a day; a fourth member joins afterwards and, receiving the expired ranges as rollups, answers
/// the same daily figures as the other three, with the same version vector and without pulling expired readings again.
/// </summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
public sealed class RetentionSpecs
{
    private const string Policy = "hot=24h,warm=3d,cold=30d,archive=off,every=1h";

    [Fact]
    public async Task A_member_that_joins_after_expiry_answers_the_same_daily_stats_as_the_others()
    {
        await using var cluster = await TestCluster.StartAsync(3, configure: (_, s) => s with { Retention = Policy });
        var now = DateTimeOffset.UtcNow;
        // Each member takes a third of the boards' readings (its own origin's stream), ten days' worth in time order.
        for (var member = 0; member < 3; member++)
        {
            var readings = new List<object>();
            for (var t = now.AddDays(-10); t < now.AddMinutes(-1); t = t.AddMinutes(15))
                for (var device = 1 + member * 2; device <= 2 + member * 2; device++)
                    readings.Add(new { device_id = device, temperature = 15 + (t.ToUnixTimeSeconds() / 900 + device) % 13, humidity = 50, timestamp = t.ToUnixTimeMilliseconds() });
            foreach (var chunk in readings.Chunk(1000))
                Assert.True((await cluster[member].Http.PostAsJsonAsync("/api/readings/batch", new { readings = chunk })).IsSuccessStatusCode);
        }
        await Eventually.AssertAsync(() =>
        {
            var vectors = cluster.Running.Select(n => n.Store.Replication.VersionVector()).ToList();
            Assert.Equal(3, vectors[0].Count);
            Assert.All(vectors, v => Assert.Equal(vectors[0], v));
            return Task.CompletedTask;
        });
        var before = await DailyAsync(cluster[0]);

        foreach (var node in cluster.Running)
        {
            var run = await (await node.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
            Assert.True(run.GetProperty("expired").GetInt64() > 5000, run.ToString());
        }
        var held = cluster[0].Store.Queries.CountReadings();

        var late = await cluster.AddNodeAsync();
        await cluster.WaitForMembersAsync(4);
        await Eventually.AssertAsync(() =>
        {
            Assert.Equal(cluster[0].Store.Replication.VersionVector(), late.Store.Replication.VersionVector());
            Assert.Equal(held, late.Store.Queries.CountReadings());
            return Task.CompletedTask;
        });
        Assert.Equal(cluster[0].Store.Retention.Floors(), late.Store.Retention.Floors());
        foreach (var node in cluster.Running) Assert.Equal(before, await DailyAsync(node));
    }

    /// <summary>Every device's daily stats over the last 11 days, as JSON text.</summary>
    private static async Task<string> DailyAsync(TestNode node)
    {
        var answers = new List<string>();
        for (var device = 1; device <= 6; device++)
        {
            var stats = await node.Http.GetFromJsonAsync<JsonElement>($"/api/stats/{device}?period=daily&days=11");
            answers.Add(stats.ToString());
        }
        return string.Join("\n", answers);
    }
}
