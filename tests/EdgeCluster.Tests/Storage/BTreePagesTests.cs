using System.Diagnostics;
using System.Text.Json;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using EdgeCluster.TestKit;
using EdgeCluster.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Tests.Storage;

/// <summary>
/// The read model's bytes per table, counted from its b-trees, against SQLite's own <c>dbstat</c> (Debian's SQLite, which
/// has it, through python3): the node's SQLite build lacks dbstat, so the storage view's tier bytes come from the walk.
/// </summary>
public sealed class BTreePagesTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_bytes_of_every_table_are_what_dbstat_counts_and_the_raw_tier_is_the_readings()
    {
        var path = _dir.File("read-model.db");
        using (var store = new ReadModelStore(path))
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // 60,000 readings of 20 devices over ten days: a b-tree three levels deep, and rollups.
            var readings = Enumerable.Range(1, 60_000)
                .Select(i => new JournaledReading(new Reading(1 + i % 20, 20 + i % 7, 50, now - 10 * 86_400_000L + i * 14_000L, now, i), "pi-1", i))
                .ToList();
            foreach (var group in readings.Chunk(1_000)) store.Writer.Apply([new ReadingsJournaled("pi-1", group.ToList())], group[^1].OriginSeq);

            var (raw, rollups) = store.Retention.TierBytes();
            var walked = WalkedBytes(path);
            var counted = await DbstatAsync(path);
            Assert.Equal(counted, walked);
            Assert.Equal(counted["sensor_readings"], raw);
            Assert.Equal(counted["rollups"] + counted.GetValueOrDefault("expired_rollups"), rollups);
            // 60,000 rows of ~60 bytes with their two indexes: megabytes, not a page or two.
            Assert.InRange(raw, 3_000_000, 30_000_000);
        }
    }

    private static Dictionary<string, long> WalkedBytes(string path)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        c.Open();
        return BTreePages.BytesByTable(c, path).ToDictionary();
    }

    private static async Task<Dictionary<string, long>> DbstatAsync(string path)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("""
            import json, sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            table = dict(db.execute("SELECT name, tbl_name FROM sqlite_schema WHERE rootpage > 0"))
            table["sqlite_schema"] = "sqlite_schema"
            out = {}
            for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                out[table[name]] = out.get(table[name], 0) + size
            print(json.dumps(out))
            """);
        info.ArgumentList.Add(path);
        var ended = await ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(60));
        Assert.True(ended.ExitCode == 0, ended.ToString());
        return JsonSerializer.Deserialize<Dictionary<string, long>>(ended.Out)!;
    }
}
