using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Node;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Http;

/// <summary>
/// Tiered retention through the API on a node with real files: ten days of readings, a run on
/// <c>POST /api/admin/retention/run</c>, and then the same daily figures from the rollups, raw readings only for the hot
/// day, and every expired reading in Parquet files under the data folder, read back with a Parquet reader.
/// </summary>
public sealed class RetentionApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();
    private TestNode _node = null!;

    public async Task InitializeAsync()
    {
        // The lab's tiers; runs by hand only (the timer's hour never comes during the test).
        _node = await TestNode.StartAsync(_dir.Path, configure: s => s with { Retention = "hot=24h,warm=3d,cold=30d,archive=parquet,every=1h" });
        await _node.RegisterAsync(1, "ESP32_01");
        await _node.RegisterAsync(2, "ESP32_02");
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private static IEnumerable<object> TenDays()
    {
        var seq = 0;
        for (var t = Now.AddDays(-10); t < Now.AddMinutes(-1); t = t.AddMinutes(10))
            for (var device = 1; device <= 2; device++)
                yield return new
                {
                    device_id = device, temperature = Math.Round(18 + 6 * Math.Sin(t.ToUnixTimeSeconds() / 7000.0) + device, 2),
                    humidity = 40 + seq % 17, seq = ++seq, timestamp = t.ToUnixTimeMilliseconds(),
                };
    }

    [Fact]
    public async Task A_run_archives_what_left_the_hot_tier_and_every_figure_stays_the_same()
    {
        var posted = TenDays().ToList();
        foreach (var chunk in posted.Chunk(500))
            Assert.True((await _node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = chunk })).IsSuccessStatusCode);
        var dailyBefore = await JsonAsync("/api/stats/1?period=daily&days=11");
        var eventsBefore = JournalEvents();
        var hourlyBefore = await JsonAsync("/api/stats/2?period=hourly&hours=48");

        var response = await _node.Http.PostAsync("/api/admin/retention/run", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var run = await response.ReadJsonAsync();
        var expired = run.GetProperty("expired").GetInt64();
        // Everything but the last day (one origin's stream in time order: a prefix up to the cutoff).
        Assert.InRange(expired, posted.Count * 9 / 10 - 10, posted.Count * 9 / 10 + 10);
        Assert.True(run.GetProperty("archive_files").GetInt32() >= 1);

        // The rollups answer what the raw readings answered.
        Assert.Equal(dailyBefore.ToString(), (await JsonAsync("/api/stats/1?period=daily&days=11")).ToString());
        Assert.Equal(hourlyBefore.ToString(), (await JsonAsync("/api/stats/2?period=hourly&hours=48")).ToString());
        // Raw readings: the hot day only, and the answer says where raw readings start.
        var readings = await JsonAsync($"/api/readings/1?limit=10000");
        var oldestRaw = DateTimeOffset.Parse(readings.GetProperty("oldest_raw").GetString()!);
        Assert.InRange(oldestRaw, Now.AddDays(-1).AddMinutes(-1), Now.AddDays(-1).AddMinutes(11));
        Assert.All(readings.GetProperty("readings").EnumerateArray(), r => Assert.True(DateTimeOffset.Parse(r.GetProperty("timestamp").GetString()!) >= oldestRaw));
        var anomalies = await JsonAsync("/api/anomalies?device_id=1");
        Assert.Equal(readings.GetProperty("oldest_raw").GetString(), anomalies.GetProperty("oldest_raw").GetString());

        // The archive holds every expired reading once, with the read model's columns.
        var archived = await ArchiveReader.ReadAsync(Path.Combine(_dir.Path, "archive"));
        Assert.Equal(expired, archived.Count);
        Assert.Equal(archived.Count, archived.Select(a => a.ReadingId).Distinct().Count());
        var bySeq = posted.Select(p => JsonSerializer.SerializeToElement(p)).ToDictionary(p => p.GetProperty("seq").GetInt64());
        Assert.All(archived, a =>
        {
            var p = bySeq[a.Seq];
            Assert.Equal(p.GetProperty("device_id").GetInt32(), a.DeviceId);
            Assert.Equal(p.GetProperty("temperature").GetDouble(), a.Temperature);
            Assert.Equal(p.GetProperty("timestamp").GetInt64(), a.TimestampMs);
        });

        var storage = await JsonAsync("/api/storage");
        Assert.Equal("hot=24h,warm=3d,cold=30d,archive=parquet,every=1h", storage.GetProperty("retention").GetString());
        var tiers = storage.GetProperty("tiers").EnumerateArray().ToDictionary(t => t.GetProperty("tier").GetString()!);
        Assert.Equal(posted.Count - expired, tiers["raw"].GetProperty("rows").GetInt64());
        Assert.True(tiers["daily"].GetProperty("rows").GetInt64() >= 2 * 7);
        Assert.True(tiers["archive"].GetProperty("bytes").GetInt64() > 0);
        Assert.Equal(expired, storage.GetProperty("last_run").GetProperty("expired").GetInt64());

        // The journal let go of the events whose readings all left the raw tier (after a snapshot): its rows are fewer.
        var deletedTo = run.GetProperty("journal_deleted_to").GetInt64();
        Assert.True(deletedTo > 0);
        Assert.True(JournalEvents() < eventsBefore, $"{JournalEvents()} events left of {eventsBefore}");

        // A second run finds nothing more to do.
        var again = await (await _node.Http.PostAsync("/api/admin/retention/run", null)).ReadJsonAsync();
        Assert.Equal(0, again.GetProperty("expired").GetInt64());

        // Restarted on the compacted journal: it recovers from its snapshot and goes on numbering where it was.
        var highest = _node.Store.Replication.VersionVector()[_node.Name];
        await _node.DisposeAsync();
        _node = await TestNode.StartAsync(_dir.Path, configure: s => s with { Retention = "hot=24h,warm=3d,cold=30d,archive=parquet,every=1h" });
        Assert.Equal(dailyBefore.ToString(), (await JsonAsync("/api/stats/1?period=daily&days=11")).ToString());
        var fresh = await (await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20.5, humidity = 50 })).ReadJsonAsync();
        Assert.Equal(highest + 1, fresh.GetProperty("origin_seq").GetInt64());
    }

    [Fact]
    public async Task Retention_off_refuses_a_run_and_a_policy_that_cannot_work_is_named()
    {
        await using var off = await TestNode.StartAsync(_dir.File("off"));
        var response = await off.Http.PostAsync("/api/admin/retention/run", null);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("retention", (await response.ReadJsonAsync()).GetProperty("field").GetString());

        Assert.Contains("tiers must not shrink", Assert.Throws<SettingsException>(() => NodeSettings.Load(["--retention", "hot=2d,warm=1d"], new Dictionary<string, string>())).Message);
        Assert.Contains("--retention: hot must be", Assert.Throws<SettingsException>(() => NodeSettings.Load(["--retention", "hot=soon"], new Dictionary<string, string>())).Message);
        Assert.Contains("archive must be parquet or off", Assert.Throws<SettingsException>(() => NodeSettings.Load(["--retention", "archive=zip"], new Dictionary<string, string>())).Message);
        Assert.Equal("hot=24h,warm=7d,cold=30d,archive=parquet,every=1m", NodeSettings.Load(["--retention", "on"], new Dictionary<string, string>()).RetentionPolicy()!.ToString());
        Assert.Equal("hot=6h,warm=7d,cold=90d,archive=off,every=1m",
            NodeSettings.Load([], new Dictionary<string, string> { ["EDGE_RETENTION"] = "hot=6h,cold=90d,archive=off" }).RetentionPolicy()!.ToString());
        Assert.Null(NodeSettings.Load([], new Dictionary<string, string>()).RetentionPolicy());
    }

    private long JournalEvents()
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "journal.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
        var tables = new List<string>();
        using (var r = cmd.ExecuteReader())
            while (r.Read()) tables.Add(r.GetString(0));
        cmd.CommandText = $"SELECT COUNT(*) FROM {tables.Single(t => t.Contains("journal") && !t.Contains("metadata") && !t.Contains("tag"))} WHERE persistence_id LIKE 'reading-journal-%'";
        return (long)cmd.ExecuteScalar()!;
    }

    private async Task<JsonElement> JsonAsync(string path)
    {
        var response = await _node.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadJsonAsync();
    }
}
