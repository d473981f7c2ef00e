using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The uplink of one node process against a real PostgreSQL server: a cloud that refuses is reported while the node serves
/// on, and retention expires only what the cloud holds. The clusters' uplink tests are <see cref="UplinkTests"/>.
/// </summary>
[Trait("Category", "Slow")]
[Collection(SingleNodeProcessCollection.Name)]
public sealed class UplinkNodeTests
{
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
        using var node = await NodeProcess.StartAsync(dir.Path, "rt", 0, 0, "--uplink", cloud.Url, "--uplink-rate", "1000", "--auto-register",
            "--retention", "hot=24h,warm=3d,cold=30d,archive=parquet,every=1h");
        var old = DateTimeOffset.UtcNow.AddDays(-5);
        var readings = Enumerable.Range(1, 20_000).Select(i => new
        {
            device_id = 1 + i % 4, temperature = 20.0, humidity = 50, seq = i, timestamp = old.AddSeconds(i).ToUnixTimeMilliseconds(),
        }).ToList();
        foreach (var chunk in readings.Chunk(5000))
            Assert.Equal(HttpStatusCode.OK, (await node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = chunk })).StatusCode);

        // The cloud takes 1,000 a second (20 s for all; posting them took over 5 s on a loaded machine): a run now may expire
        // only what its cursor covered when the run read it.
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

    private static async Task<JsonElement> EventuallyDownAsync(NodeProcess node)
    {
        JsonElement view = default;
        await Eventually.AssertAsync(async () =>
        {
            view = await UplinkTests.UplinkAsync(node);
            Assert.Equal("down", view.GetProperty("state").GetString());
        }, TimeSpan.FromSeconds(30));
        return view;
    }
}
