using System.Net.Http.Json;

namespace EdgeCluster.Tests.Http;

/// <summary>GET /api/storage on a node with readings: what it holds, its files, its free disk.</summary>
public sealed class StorageApiTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dir.Path);
        await _node.RegisterAsync(1, "ESP32_01");
        await _node.RegisterAsync(2, "ESP32_02");
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Storage_says_how_many_readings_the_member_holds_in_which_files_and_the_free_disk()
    {
        var empty = await (await _node.Http.GetAsync("/api/storage")).ReadJsonAsync();
        Assert.Equal(0, empty.GetProperty("tiers")[0].GetProperty("rows").GetInt64());
        Assert.False(empty.TryGetProperty("bytes_per_reading", out _));

        var oldest = DateTimeOffset.UtcNow.AddHours(-3);
        var batch = Enumerable.Range(0, 150).Select(i => new
        {
            device_id = 1 + i % 2, temperature = 20.0, humidity = 50.0, seq = i + 1, timestamp = oldest.AddSeconds(i).ToUnixTimeMilliseconds(),
        });
        Assert.True((await _node.Http.PostAsJsonAsync("/api/readings/batch", new { readings = batch })).IsSuccessStatusCode);

        // The journal's files before and after the answer: a WAL checkpoint may shrink them in between.
        var filesBefore = JournalFileBytes();
        var view = await (await _node.Http.GetAsync("/api/storage")).ReadJsonAsync();
        var tiers = view.GetProperty("tiers").EnumerateArray().ToDictionary(t => t.GetProperty("tier").GetString()!);
        Assert.Equal(["raw", "hourly", "daily", "archive"], tiers.Keys);
        var raw = tiers["raw"];
        // Two devices over 150 seconds: one or two hours each, kept as hours while retention is off.
        Assert.InRange(tiers["hourly"].GetProperty("rows").GetInt64(), 2, 4);
        Assert.Equal(0, tiers["daily"].GetProperty("rows").GetInt64());
        Assert.Equal(0, tiers["archive"].GetProperty("rows").GetInt64());
        Assert.Equal(150, raw.GetProperty("rows").GetInt64());
        // The file's pages of each tier (measured at most a minute earlier: here, by the first request).
        Assert.True(raw.GetProperty("bytes").GetInt64() >= 3 * 4096, raw.ToString());
        Assert.True(tiers["hourly"].GetProperty("bytes").GetInt64() >= 4096, tiers["hourly"].ToString());
        Assert.Equal(oldest.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(raw.GetProperty("oldest").GetString()!).ToUnixTimeMilliseconds());
        Assert.Equal("off", view.GetProperty("retention").GetString());
        Assert.InRange(view.GetProperty("journal_bytes").GetInt64(), 1, Math.Max(filesBefore, JournalFileBytes()));
        Assert.True(view.GetProperty("read_model_bytes").GetInt64() > 0);
        var free = new DriveInfo(_dir.Path).AvailableFreeSpace;
        Assert.InRange(view.GetProperty("free_bytes").GetInt64(), free - 256L * 1024 * 1024, free + 256L * 1024 * 1024);
        Assert.True(view.GetProperty("bytes_per_reading").GetDouble() > 0);
        Assert.False(view.GetProperty("uplink").GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public void The_journal_is_indexed_so_that_a_recovery_seeks_its_events_rather_than_reading_the_whole_table()
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir.Path, "journal.db")};Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        // The plugin's recovery: the highest sequence number of the node's journal, then its events past the snapshot.
        foreach (var query in new[]
                 {
                     "SELECT MAX(sequence_number) FROM journal WHERE persistence_id = 'reading-journal-x'",
                     "SELECT * FROM journal WHERE persistence_id = 'reading-journal-x' AND sequence_number >= 5 ORDER BY sequence_number",
                 })
        {
            cmd.CommandText = "EXPLAIN QUERY PLAN " + query;
            using var plan = cmd.ExecuteReader();
            var steps = new List<string>();
            while (plan.Read()) steps.Add(plan.GetString(3));
            Assert.Contains(steps, s => s.StartsWith("SEARCH journal") && s.Contains("INDEX ix_journal_persistence_sequence"));
            Assert.DoesNotContain(steps, s => s.StartsWith("SCAN journal"));
        }
    }

    private long JournalFileBytes() => new DirectoryInfo(_dir.Path).GetFiles("journal.db*").Sum(f => f.Length);
}
