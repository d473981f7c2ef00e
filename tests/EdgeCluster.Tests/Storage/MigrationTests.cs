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
            cmd.CommandText = "ALTER TABLE devices DROP COLUMN interval_s; DROP TABLE device_seen; DROP TABLE rollups; DROP TABLE expired_rollups; "
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
        // Layout 3's rollups are built from the readings the file held.
        var (summary, buckets) = migrated.Queries.Stats(5, StatsPeriod.Hourly, 24, 1_780_000_001_000);
        Assert.Equal(1, summary.TotalReadings);
        Assert.Equal(20, Assert.Single(buckets).AvgTemperature);
    }
}
