using EdgeCluster.Domain;
using EdgeCluster.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Tests.Storage;

public sealed class MigrationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_read_model_of_layout_1_is_migrated_in_place_and_keeps_its_readings()
    {
        var path = _dir.File("readings.db");
        using (var store = new ReadModelStore(path))
        {
            store.Writer.Apply([new ReadingsJournaled("pi-1", [new JournaledReading(new Reading(5, 20, 50, 1_780_000_000_000, 1_780_000_000_500, 1), "pi-1", 1)])], 1);
            store.Devices.Upsert(new DeviceInfo(5, "ESP32_05", "DHT22", null, 1_780_000_000_000));
        }
        // Back to layout 1: no interval column, no device_seen table, no rollups.
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            cmd.CommandText = "ALTER TABLE devices DROP COLUMN interval_s; ALTER TABLE devices DROP COLUMN token_hash; DROP TABLE device_seen; DROP TABLE rollups; DROP TABLE expired_rollups; "
                              + "DROP TABLE origin_floor; DROP TABLE retention_marks; PRAGMA user_version = 1;";
            cmd.ExecuteNonQuery();
        }

        using var migrated = new ReadModelStore(path);
        Assert.Equal(1, migrated.Queries.CountReadings());
        var device = migrated.Devices.Get(5)!;
        Assert.Null(device.IntervalS);
        var health = migrated.Health.Of(device, 1_780_000_001_000);
        Assert.Equal(TimeText.FromUnixMs(1_780_000_000_500), health.LastSeen);
        Assert.True(migrated.Devices.Upsert(device with { IntervalS = 60 }) is false);
        Assert.Equal(60, migrated.Devices.Get(5)!.IntervalS);
        // Layout 5: a device registered before has no token until one is given.
        Assert.Null(device.TokenHash);
        var hash = DeviceTokens.Hash("a-token");
        migrated.Devices.Upsert(device with { TokenHash = hash });
        Assert.Equal(5, migrated.Devices.FindByTokenHash(hash)!.DeviceId);
        // Layout 3's rollups are built from the readings the file held.
        var (summary, buckets) = migrated.Queries.Stats(5, StatsPeriod.Hourly, 24, 1_780_000_001_000);
        Assert.Equal(1, summary.TotalReadings);
        Assert.Equal(20, Assert.Single(buckets).AvgTemperature);
    }

    [Fact]
    public void A_read_model_of_layout_3_gains_the_rollups_gap_column_unknown_and_quality_reads_those_hours_raw()
    {
        var path = _dir.File("layout3.db");
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var readings = new[] { 0L, 60_000, 120_000, 600_000 }.Select((t, i) => new Reading(5, 20, 50, now - 3_600_000 + t, now, i + 1)).ToList();
        using (var store = new ReadModelStore(path))
            store.Writer.Apply([new ReadingsJournaled("pi-1", readings.Select((r, i) => new JournaledReading(r, "pi-1", i + 1)).ToList())], 1);
        using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            cmd.CommandText = "ALTER TABLE rollups DROP COLUMN max_gap_ms; ALTER TABLE devices DROP COLUMN token_hash; PRAGMA user_version = 3;";
            cmd.ExecuteNonQuery();
        }

        using var migrated = new ReadModelStore(path);
        using (var c = migrated.Database.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*), COUNT(max_gap_ms) FROM rollups";
            using var r = cmd.ExecuteReader();
            r.Read();
            Assert.True(r.GetInt64(0) >= 1);
            Assert.Equal(0, r.GetInt64(1));
        }
        var quality = Assert.Single(migrated.Analytics.Quality([5], 60, 1, now));
        Assert.Equal(4, quality.TotalReadings);
        Assert.Equal(7, Assert.Single(quality.Gaps).Missing);
    }
}
