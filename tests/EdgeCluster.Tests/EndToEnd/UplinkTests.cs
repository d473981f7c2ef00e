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

    [Fact]
    public async Task A_cloud_that_refuses_is_reported_and_the_node_serves_on()
    {
        await using var cloud = await PostgresServer.StartAsync();
        using var dir = new TempDir();

        // Wrong password: the node starts, serves, and says why the uplink is down.
        var wrong = cloud.Url.Replace(PostgresServer.Password, "not-the-password");
        using (var node = await NodeProcess.StartAsync(dir.File("wrong"), "w1", 0, 0, "--uplink", wrong, "--auto-register"))
        {
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20, humidity = 50 })).StatusCode);
            var view = await EventuallyDownAsync(node);
            Assert.Contains("password authentication failed", view.GetProperty("last_error").GetString());
            Assert.DoesNotContain("not-the-password", view.ToString());
            Assert.DoesNotContain("not-the-password", node.Log);
        }

        // Nothing listening at the host and port.
        using (var node = await NodeProcess.StartAsync(dir.File("unreachable"), "w2", 0, 0, "--uplink", $"postgres://edge:x@127.0.0.1:1/cloud"))
        {
            var view = await EventuallyDownAsync(node);
            Assert.Contains("refused", view.GetProperty("last_error").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        // A sensor_readings table the node did not create, without the origin columns: reported, nothing written around it.
        await cloud.ExecuteAsync(
            "CREATE TABLE sensor_readings (reading_id SERIAL PRIMARY KEY, device_id INTEGER NOT NULL, timestamp TEXT NOT NULL, temperature REAL, humidity REAL);" +
            $"ALTER TABLE sensor_readings OWNER TO {PostgresServer.User}");
        var passwordFile = dir.File("password");
        await File.WriteAllTextAsync(passwordFile, PostgresServer.Password + "\n");
        var withoutPassword = $"postgres://{PostgresServer.User}@127.0.0.1:{cloud.Port}/{PostgresServer.Database}";
        using (var node = await NodeProcess.StartAsync(dir.File("schema"), "w3", 0, 0, "--uplink", withoutPassword, "--uplink-password-file", passwordFile,
                   "--auto-register"))
        {
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20, humidity = 50 })).StatusCode);
            var view = await EventuallyDownAsync(node);
            Assert.Contains("sensor_readings.origin_seq", view.GetProperty("last_error").GetString());
            Assert.Equal(0L, await cloud.ScalarAsync<long>("SELECT count(*) FROM sensor_readings"));
            Assert.Equal(0L, await cloud.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE tablename = 'edge_uplink_cursor'"));
        }

        // A URL that cannot work stops the node at start with one line naming the setting.
        var bad = await ProcessRun.ToExitAsync(new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--data-dir", dir.File("bad"), "--uplink", "mysql://x@y/z" },
        });
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--uplink must be a URL such as postgres://", bad.Out + bad.Err);
    }

    [Fact]
    public async Task Retention_expires_only_what_the_cloud_holds_and_nothing_while_the_cloud_is_away()
    {
        await using var cloud = await PostgresServer.StartAsync();
        using var dir = new TempDir();
        using var node = await NodeProcess.StartAsync(dir.Path, "rt", 0, 0, "--uplink", cloud.Url, "--uplink-rate", "4000", "--auto-register",
            "--retention", "hot=24h,warm=3d,cold=30d,archive=parquet,every=1h");
        var old = DateTimeOffset.UtcNow.AddDays(-5);
        var readings = Enumerable.Range(1, 20_000).Select(i => new
        {
            device_id = 1 + i % 4, temperature = 20.0, humidity = 50, seq = i, timestamp = old.AddSeconds(i).ToUnixTimeMilliseconds(),
        }).ToList();
        foreach (var chunk in readings.Chunk(5000))
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = chunk })).StatusCode);

        // The cloud takes 4,000 a second: a run now may expire only what its cursor covered when the run read it.
        var first = await (await node.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
        var inCloud = await cloud.ScalarAsync<long>("SELECT count(*) FROM sensor_readings");
        Assert.InRange(first.GetProperty("expired").GetInt64(), 0, inCloud);
        Assert.True(inCloud < readings.Count, "the cloud already held everything: nothing was held back");
        Assert.Contains("uplink has not delivered", first.GetProperty("held").GetString());

        await Eventually.AssertAsync(async () =>
            Assert.Equal(readings.Count, await cloud.ScalarAsync<long>("SELECT count(DISTINCT (device_id, seq)) FROM sensor_readings")), TimeSpan.FromSeconds(60));
        var second = await (await node.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
        Assert.Equal(readings.Count, first.GetProperty("expired").GetInt64() + second.GetProperty("expired").GetInt64());
        Assert.Equal((long)readings.Count, await cloud.ScalarAsync<long>("SELECT count(*) FROM sensor_readings"));
        Assert.Equal(readings.Count, (await ArchiveReader.ReadAsync(Path.Combine(dir.Path, "archive"))).Select(a => a.ReadingId).Distinct().Count());

        // The cloud away: its cursors cannot be read, so no raw reading leaves.
        await cloud.StopAsync();
        var more = Enumerable.Range(20_001, 100).Select(i => new { device_id = 1, temperature = 21.0, humidity = 50, seq = i, timestamp = old.AddSeconds(i).ToUnixTimeMilliseconds() });
        Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = more })).StatusCode);
        var away = await (await node.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
        Assert.Equal(0, away.GetProperty("expired").GetInt64());
        Assert.Contains("could not be read from the cloud", away.GetProperty("held").GetString());
    }

    private static async Task<JsonElement> UplinkAsync(NodeProcess node) =>
        await (await node.Http.GetAsync("/api/uplink")).ReadJsonAsync();

    private static async Task<JsonElement> EventuallyDownAsync(NodeProcess node)
    {
        JsonElement view = default;
        await Eventually.AssertAsync(async () =>
        {
            view = await UplinkAsync(node);
            Assert.Equal("down", view.GetProperty("state").GetString());
        }, TimeSpan.FromSeconds(30));
        return view;
    }

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
