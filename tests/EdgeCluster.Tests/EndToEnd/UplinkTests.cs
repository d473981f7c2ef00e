using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The uplink against a real PostgreSQL server and real node processes: every acknowledged reading reaches the cloud
/// exactly once, through a cloud outage, a partition and the SIGKILL of the member that was uploading.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class UplinkTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Three_members_feed_the_cloud_every_reading_once_through_an_outage_and_a_partition()
    {
        await using var cloud = await PostgresServer.StartAsync();
        using var cluster = await ProcessCluster.StartAsync(3, "up", "--uplink", cloud.Url);
        for (var d = 1; d <= 6; d++)
            Assert.Equal(HttpStatusCode.Created, (await cluster[0].Http.PostAsJsonAsync("/api/devices",
                new { device_id = d, name = $"ESP32_{d}", type = "ESP32", location = $"room {d}", interval_s = d == 1 ? 30 : (int?)null })).StatusCode);
        foreach (var node in cluster.Running)
            await Eventually.AssertAsync(async () =>
                Assert.Equal(6, (await (await node.Http.GetAsync("/api/devices")).ReadJsonAsync()).GetProperty("devices").GetArrayLength()),
                TimeSpan.FromSeconds(30));

        var acknowledged = new ConcurrentDictionary<(int Device, long Seq), bool>();
        var seqs = new long[7];
        // Device d posts to member d % 3: each member accepts readings of its own devices.
        async Task PostRoundAsync()
        {
            await Task.WhenAll(Enumerable.Range(1, 6).Select(async d =>
            {
                var batch = Enumerable.Range(0, 20).Select(_ => new { device_id = d, temperature = 20 + d, humidity = 50, seq = Interlocked.Increment(ref seqs[d]) }).ToList();
                var reply = await cluster[d % 3].Http.PostAsJsonAsync("/api/readings/batch", new { readings = batch });
                Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
                foreach (var r in batch) acknowledged[(d, r.seq)] = true;
            }));
        }

        for (var i = 0; i < 10; i++) await PostRoundAsync();
        // A board that got no answer sends its reading again to another member: two members accepted it, the cloud has it once.
        foreach (var member in new[] { 0, 1 })
        {
            var reply = await cluster[member].Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 21, humidity = 50, seq = 1_000_000 });
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
            Assert.False((await reply.ReadJsonAsync()).GetProperty("duplicate").GetBoolean());
        }
        acknowledged[(1, 1_000_000)] = true;
        await CloudHoldsExactlyAsync(cloud, acknowledged, cluster[0]);
        Assert.Equal(6L, await cloud.ScalarAsync<long>("SELECT count(*) FROM devices"));
        Assert.Equal(30, await cloud.ScalarAsync<int>("SELECT interval_s FROM devices WHERE device_id = 1"));
        // The lab's own query runs on the cloud copy unchanged (Question 1, with PostgreSQL's now()).
        var perDevice = await cloud.RowsAsync(
            "SELECT device_id, AVG(temperature) AS avg_temp, COUNT(*) AS num_readings FROM sensor_readings " +
            "WHERE timestamp >= now() - interval '24 hours' GROUP BY device_id ORDER BY device_id");
        Assert.Equal(6, perDevice.Count);
        Assert.All(perDevice, row => Assert.Equal(20.0 + (int)row[0]!, (double)row[1]!));

        // The cloud goes away for 12 s while the members go on accepting readings.
        await cloud.StopAsync();
        var outage = DateTime.UtcNow;
        while (DateTime.UtcNow - outage < TimeSpan.FromSeconds(12))
        {
            await PostRoundAsync();
            await Task.Delay(100);
        }
        var down = await UplinkAsync(cluster[1]);
        output.WriteLine($"uplink during the outage: {down}");
        Assert.Equal("down", down.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(down.GetProperty("last_error").GetString()));
        Assert.True(down.GetProperty("backlog").GetInt64() > 0, down.ToString());
        var storage = (await (await cluster[1].Http.GetAsync("/api/storage")).ReadJsonAsync()).GetProperty("uplink");
        Assert.Equal("down", storage.GetProperty("state").GetString());
        Assert.True(storage.GetProperty("backlog").GetInt64() > 0, storage.ToString());
        Assert.True(storage.GetProperty("backlog_age_s").GetDouble() >= 8, storage.ToString());
        await cloud.StartAgainAsync();
        await CloudHoldsExactlyAsync(cloud, acknowledged, cluster[0]);

        // A partition during upload: member 2 cut off from the others, everyone still posting and uploading.
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "up2" })).StatusCode);
        for (var i = 0; i < 15; i++) await PostRoundAsync();
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
        for (var i = 0; i < 5; i++) await PostRoundAsync();
        await CloudHoldsExactlyAsync(cloud, acknowledged, cluster[0]);

        var up = await UplinkAsync(cluster[0]);
        Assert.Equal("up", up.GetProperty("state").GetString());
        Assert.Equal($"postgres://{PostgresServer.User}@127.0.0.1:{cloud.Port}/{PostgresServer.Database}", up.GetProperty("target").GetString());
        Assert.DoesNotContain(PostgresServer.Password, up.ToString());

        // The same through edgectl, as a user asks it.
        var status = await EdgectlProcess.RunAsync($"127.0.0.1:{cluster[2].HttpPort}", "uplink", "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"uplink to postgres://{PostgresServer.User}@127.0.0.1:{cloud.Port}/{PostgresServer.Database}: up", status.Out);
        Assert.Matches(@"up2\s+\d+\s+\d+\s+0\s+yes", status.Out);
    }

    [Fact]
    public async Task Sigkill_of_the_uploading_member_in_the_middle_of_a_backlog_loses_and_doubles_nothing()
    {
        await using var cloud = await PostgresServer.StartAsync();
        await cloud.StopAsync();
        // The members start while the cloud is away (they serve regardless), with a rate cap so the backlog takes a while.
        using var cluster = await ProcessCluster.StartAsync(3, "sk", "--uplink", cloud.Url, "--uplink-rate", "4000",
            "--uplink-batch", "500", "--auto-register");
        var acknowledged = new HashSet<(int, long)>();
        for (var b = 0; b < 60; b++)
        {
            var batch = Enumerable.Range(0, 500).Select(i => new { device_id = 1 + i % 10, temperature = 21.5, humidity = 40, seq = (long)(b * 50 + i / 10 + 1) }).ToList();
            var reply = await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", new { readings = batch });
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
            foreach (var r in batch) acknowledged.Add((r.device_id, r.seq));
        }
        // Every member holds member 0's 30,000 readings before the cloud returns, so the others can take over.
        foreach (var node in cluster.Running)
            await Eventually.AssertAsync(async () =>
                Assert.Equal(30_000, (await (await node.Http.GetAsync("/api/cluster")).ReadJsonAsync()).GetProperty("version_vector").GetProperty("sk0").GetProperty("highest").GetInt64()),
                TimeSpan.FromSeconds(60));

        await cloud.StartAgainAsync();
        await Eventually.AssertAsync(async () =>
        {
            var cursor = await cloud.ScalarAsync<long>("SELECT coalesce(max(highest_seq), 0) FROM edge_uplink_cursor WHERE origin_node = 'sk0'");
            Assert.True(cursor >= 4000, $"cloud cursor of sk0 at {cursor}");
        }, TimeSpan.FromSeconds(60));
        cluster.Kill(0);
        var atKill = await cloud.ScalarAsync<long>("SELECT highest_seq FROM edge_uplink_cursor WHERE origin_node = 'sk0'");
        output.WriteLine($"sk0 killed with the cloud at {atKill} of 30000");
        Assert.True(atKill < 30_000, "the backlog was done before the kill; the test needs it in the middle");

        await CloudHoldsExactlyAsync(cloud, acknowledged.ToDictionary(k => k, _ => true), cluster[1]);
        var by = await cloud.ScalarAsync<string>("SELECT updated_by FROM edge_uplink_cursor WHERE origin_node = 'sk0'");
        Assert.NotEqual("sk0", by);
        var survivor = await UplinkAsync(cluster[by == "sk1" ? 1 : 2]);
        Assert.Contains(survivor.GetProperty("origins").EnumerateArray(),
            o => o.GetProperty("origin").GetString() == "sk0" && o.GetProperty("uploaded_here").GetBoolean() && o.GetProperty("cloud").GetInt64() == 30_000);
    }

    internal static async Task<JsonElement> UplinkAsync(NodeProcess node) =>
        await (await node.Http.GetAsync("/api/uplink")).ReadJsonAsync();

    /// <summary>Waits until the cloud holds exactly the acknowledged readings: none missing, none extra, none twice.</summary>
    private async Task CloudHoldsExactlyAsync(PostgresServer cloud, IReadOnlyDictionary<(int Device, long Seq), bool> acknowledged,
        NodeProcess member)
    {
        var expected = acknowledged.Keys.ToHashSet();
        var started = DateTime.UtcNow;
        await Eventually.AssertAsync(async () =>
        {
            var count = await cloud.ScalarAsync<long>("SELECT count(*) FROM sensor_readings");
            Assert.True(count >= expected.Count, $"cloud holds {count} of {expected.Count} readings");
        }, Arrival);
        var rows = await cloud.RowsAsync("SELECT device_id, seq FROM sensor_readings");
        var held = rows.Select(r => ((int)r[0]!, (long)r[1]!)).ToList();
        Assert.Equal(held.Count, held.Distinct().Count());
        Assert.Empty(expected.Except(held));
        Assert.Empty(held.Except(expected));
        // The cloud's cursors cover every origin's whole stream as a member holds it.
        await Eventually.AssertAsync(async () =>
        {
            var vector = (await (await member.Http.GetAsync("/api/cluster")).ReadJsonAsync()).GetProperty("version_vector").EnumerateObject()
                .ToDictionary(o => o.Name, o => o.Value.GetProperty("highest").GetInt64());
            var cursors = (await cloud.RowsAsync("SELECT origin_node, highest_seq FROM edge_uplink_cursor")).ToDictionary(r => (string)r[0]!, r => (long)r[1]!);
            Assert.Equal(vector.OrderBy(kv => kv.Key), cursors.OrderBy(kv => kv.Key));
        }, TimeSpan.FromSeconds(30));
        output.WriteLine($"cloud holds all {expected.Count} readings once, {(DateTime.UtcNow - started).TotalSeconds:F1} s after the check began");
    }
}
