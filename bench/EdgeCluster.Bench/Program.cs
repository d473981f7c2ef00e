using System.Diagnostics;
using EdgeCluster.Domain;
using EdgeCluster.Domain.Analytics;
using EdgeCluster.Storage;
using Microsoft.Data.Sqlite;

// Storage benchmarks that need no running node: the raw SQLite ceiling, and query latency on a
// read model seeded with millions of readings. bench/run.sh calls these; docs/benchmarks.md has the figures.
return args.FirstOrDefault() switch
{
    "sqlite-ceiling" => SqliteCeiling(Arg("--db", "/tmp/edge-bench/ceiling.db"), int.Parse(Arg("--rows", "200000")), int.Parse(Arg("--batch", "100")), Arg("--schema", "readmodel")),
    "read-model-apply" => ReadModelApply(Arg("--db", "/tmp/edge-bench/apply.db"), int.Parse(Arg("--rows", "300000")), int.Parse(Arg("--batch", "1000")),
        int.Parse(Arg("--devices", "100"))),
    "seed" => Seed(Arg("--db", "/tmp/edge-bench/readings-10m.db"), long.Parse(Arg("--rows", "10000000")), int.Parse(Arg("--devices", "100"))),
    "expire" => Expire(Arg("--db", "/tmp/edge-bench/expire.db"), long.Parse(Arg("--rows", "1000000")), int.Parse(Arg("--devices", "100"))),
    "query" => Query(Arg("--db", "/tmp/edge-bench/readings-10m.db"), int.Parse(Arg("--device", "42")), int.Parse(Arg("--iterations", "2000"))),
    "load" => await ClusterBench.LoadAsync(Arg("--member", "http://127.0.0.1:5100"), long.Parse(Arg("--readings", "1000000")), int.Parse(Arg("--batch", "10000")),
        double.Parse(Arg("--spread-days", "0"), System.Globalization.CultureInfo.InvariantCulture)),
    "page" => await PageBench.RenderAsync(Arg("--member", "http://127.0.0.1:5140"), int.Parse(Arg("--members", "3")), int.Parse(Arg("--devices", "100")),
        int.Parse(Arg("--device", "42")), int.Parse(Arg("--runs", "5"))),
    "catchup" => await ClusterBench.CatchUpAsync(Arg("--member", "http://127.0.0.1:5102"), long.Parse(Arg("--readings", "1000000"))),
    "inference" => await ClusterBench.InferenceAsync(Arg("--members", "http://127.0.0.1:5100,http://127.0.0.1:5101,http://127.0.0.1:5102").Split(','), int.Parse(Arg("--tasks", "10000")), int.Parse(Arg("--concurrency", "16"))),
    "failover" => await ClusterBench.CoordinatorFailoverAsync(Arg("--member", "http://127.0.0.1:5101"), Arg("--old", "")),
    "strong" => await ClusterBench.StrongAsync(Arg("--member", "http://127.0.0.1:5100"), int.Parse(Arg("--samples", "500"))),
    "visibility" => await ClusterBench.VisibilityAsync(Arg("--members", "http://127.0.0.1:5100,http://127.0.0.1:5101,http://127.0.0.1:5102").Split(','), int.Parse(Arg("--samples", "200"))),
    "uplink-drain" => await UplinkBench.DrainAsync(Arg("--member", "http://127.0.0.1:5100"), long.Parse(Arg("--readings", "1000000"))),
    "uplink-lag" => await UplinkBench.LagAsync(Arg("--member", "http://127.0.0.1:5100"), Arg("--cloud", ""), int.Parse(Arg("--samples", "200"))),
    "boards" => await ClusterBench.BoardsAsync(Arg("--member", "http://127.0.0.1:5100"), int.Parse(Arg("--boards", "20")),
        double.Parse(Arg("--rate", "2"), System.Globalization.CultureInfo.InvariantCulture), int.Parse(Arg("--seconds", "20")), int.Parse(Arg("--first-device", "1"))),
    "http-ceiling" => await HttpCeiling.RunAsync(int.Parse(Arg("--port", "5102"))),
    "mqtt-latency" => await MqttBench.LatencyAsync(int.Parse(Arg("--publish-port", "1883")), int.Parse(Arg("--subscribe-port", "1884")), int.Parse(Arg("--samples", "200"))),
    _ => Usage(),
};

string Arg(string name, string fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: EdgeCluster.Bench sqlite-ceiling [--db F] [--rows N] [--batch N] | seed [--db F] [--rows N] [--devices N] | query [--db F] [--device N] [--iterations N]");
    Console.Error.WriteLine("       | read-model-apply [--db F] [--rows N] [--batch N] [--devices N]");
    Console.Error.WriteLine("       | expire [--db F] [--rows N] [--devices N]");
    Console.Error.WriteLine("       | page --member URL [--members N] [--devices N] [--device N] [--runs N]");
    Console.Error.WriteLine("       | load --member URL [--readings N] [--batch N] [--spread-days D] | catchup --member URL [--readings N] | visibility --members URL,URL,URL [--samples N]");
    Console.Error.WriteLine("       | uplink-drain --member URL [--readings N] | uplink-lag --member URL --cloud CONNECTION-STRING [--samples N]");
    Console.Error.WriteLine("       | http-ceiling [--port P]");
    Console.Error.WriteLine("       | mqtt-latency --publish-port P --subscribe-port P [--samples N]");
    return 2;
}

// The storage ceiling of one node, with a prepared command, one transaction per batch, WAL and
// synchronous=FULL as the journal runs: "readmodel" rows of the read model's shape (same table, same
// indexes), or "lab" rows of the lab's own table (reading_id, device_id, timestamp, temperature,
// humidity, index on (device_id, timestamp)).
static int SqliteCeiling(string path, int rows, int batch, string schema)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
    using var c = new SqliteConnection($"Data Source={path};Pooling=False");
    c.Open();
    using (var p = c.CreateCommand())
    {
        p.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" + (schema == "lab"
            ? "CREATE TABLE sensor_readings (reading_id INTEGER PRIMARY KEY AUTOINCREMENT, device_id INTEGER NOT NULL, timestamp TEXT NOT NULL, temperature REAL, humidity REAL);"
              + "CREATE INDEX idx_device_timestamp ON sensor_readings(device_id, timestamp);"
            : "");
        p.ExecuteNonQuery();
    }
    if (schema != "lab") new ReadModelStore(path).Dispose();
    // Bound by position on SQLite's own handle, as the node's writer inserts rows (RawStatement): the ceiling is what SQLite
    // itself takes, not what Microsoft.Data.Sqlite's by-name binding leaves of it.
    using var insert = new RawStatement(c, schema == "lab"
        ? "INSERT INTO sensor_readings (device_id, timestamp, temperature, humidity) VALUES (?1, ?2, ?3, ?4)"
        : "INSERT INTO sensor_readings (device_id, timestamp, received_at, temperature, humidity, seq, origin_node, origin_seq, reading_id) VALUES (?1, ?2, ?5, ?3, ?4, ?6, 'bench', ?7, ?7)");
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var sw = Stopwatch.StartNew();
    for (var done = 0; done < rows;)
    {
        using var tx = c.BeginTransaction();
        for (var k = 0; k < batch && done < rows; k++, done++)
        {
            var text = TimeText.FromUnixMs(now + done);
            insert.Bind(1, 1 + done % 100);
            insert.Bind(2, text);
            insert.Bind(3, 20.0 + done % 10);
            insert.Bind(4, 50.0);
            if (schema != "lab")
            {
                insert.Bind(5, text);
                insert.Bind(6, done);
                insert.Bind(7, done + 1);
            }
            insert.Execute();
        }
        tx.Commit();
    }
    var seconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"sqlite-ceiling schema={schema} rows={rows} batch={batch} seconds={seconds:F2} rows_per_s={rows / seconds:F0}");
    return 0;
}

// The node's read-model writer alone (ReadingWriter.Apply, as the read-model writer actor calls it): journaled groups of
// --batch readings over --devices devices, one transaction each, with the rows, rollups, device rows and offsets the
// node writes; next to sqlite-ceiling's bare inserts it shows what the writer adds per reading.
static int ReadModelApply(string path, int rows, int batch, int devices)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
    using var store = new ReadModelStore(path);
    var random = new Random(1);
    var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    long originSeq = 0;
    var groups = new List<ReadingsJournaled>();
    for (var done = 0; done < rows; done += batch)
    {
        var readings = new List<JournaledReading>(batch);
        for (var k = 0; k < batch; k++, originSeq++)
        {
            // A device's readings in time order, as boards send them (one a millisecond across the lab).
            var reading = new Reading(random.Next(1, devices + 1), 20 + random.NextDouble() * 5, 50 + random.NextDouble() * 10,
                start + originSeq, start + originSeq, null);
            readings.Add(new JournaledReading(reading, "bench", originSeq + 1));
        }
        groups.Add(new ReadingsJournaled("bench", readings));
    }
    var sw = Stopwatch.StartNew();
    long sequenceNr = 0;
    foreach (var group in groups) store.Writer.Apply([group], ++sequenceNr, fresh: new List<JournaledReading>(group.Readings.Count));
    var seconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"read-model-apply rows={rows} batch={batch} devices={devices} seconds={seconds:F2} rows_per_s={rows / seconds:F0}");
    return 0;
}

// A read model with N readings over the last 30 days across D devices, written as the node writes it.
static int Seed(string path, long rows, int devices)
{
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
    using var store = new ReadModelStore(path);
    for (var d = 1; d <= devices; d++) store.Devices.Upsert(new DeviceInfo(d, $"ESP32_{d:D2}", "DHT22", "Lab", 0));
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    var span = 30L * 24 * 3600 * 1000;
    var random = new Random(7);
    var sw = Stopwatch.StartNew();
    const int group = 50_000;
    long originSeq = 0;
    for (long done = 0; done < rows; done += group)
    {
        var n = (int)Math.Min(group, rows - done);
        var readings = new JournaledReading[n];
        for (var k = 0; k < n; k++)
        {
            var i = done + k;
            var time = now - span + span * i / rows;
            var reading = new Reading((int)(1 + i % devices), 20 + 3 * Math.Sin(i / 5000.0) + random.NextDouble(), 50 + 10 * random.NextDouble(), time, time, i / devices);
            readings[k] = new JournaledReading(reading, "bench", ++originSeq);
        }
        store.Writer.Apply([new ReadingsJournaled("bench", readings)], done / group + 1);
    }
    Console.WriteLine($"seed rows={rows} devices={devices} seconds={sw.Elapsed.TotalSeconds:F1}");
    return 0;
}

// Median and p99 of the two queries the lab runs most, on the read model the HTTP endpoints use.
static int Query(string path, int device, int iterations)
{
    using var store = new ReadModelStore(path);
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    Measure("latest-100", iterations, () => store.Queries.Readings(device, 100, null, null).Count);
    Measure("stats-hourly-24h", Math.Max(20, iterations / 10), () => (int)store.Queries.Stats(device, StatsPeriod.Hourly, 24, now).Summary.TotalReadings);
    Measure("stats-daily-30d", Math.Max(20, iterations / 10), () => (int)store.Queries.Stats(device, StatsPeriod.Daily, 30 * 24, now).Summary.TotalReadings);
    Measure("hour-of-day-30d", Math.Max(20, iterations / 10), () => (int)store.Analytics.HourOfDay(device, 30, now).Sum(h => h.Count));
    Measure("anomalies-30d-one-device", Math.Max(20, iterations / 20), () => store.Analytics.Anomalies([device], "temperature", 2.5, now - 30 * 86_400_000L, null, 100).Count);
    Measure("anomalies-30d-one-device-z1.5", Math.Max(20, iterations / 20), () => store.Analytics.Anomalies([device], "temperature", 1.5, now - 30 * 86_400_000L, null, 100).Count);
    var devices = store.Analytics.DevicesWithReadings();
    Measure("quality-30d-all-devices", 5, () => store.Analytics.Quality(devices, 300, 30, now).Count, warmup: 1);
    var random = new Random(3);
    var million = Enumerable.Range(0, 1_000_000).Select(i => new SeriesPoint(i * 1000L, 20 + Math.Sin(i / 3000.0) + random.NextDouble())).ToList();
    Measure("lttb-1m-to-1000", 50, () => Downsampling.Apply(million, 1000, DownsampleMethod.Lttb).Count);
    return 0;
}

// Raw readings leaving the hot tier as the retention service has them leave (chunks of 20,000, one transaction
// each), without the archive: N readings over the 30 days before now, all but the last day expire.
static int Expire(string path, long rows, int devices)
{
    Seed(path, rows, devices);
    using var store = new ReadModelStore(path);
    var cutoff = TimeText.FromUnixMs(DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds());
    var sw = Stopwatch.StartNew();
    long expired = 0;
    var chunks = 0;
    foreach (var (origin, highest) in store.Replication.VersionVector())
        while (store.Retention.NextChunk(origin, cutoff, highest, 20_000) is { } chunk)
        {
            expired += store.Retention.Expire(chunk);
            chunks++;
        }
    var seconds = sw.Elapsed.TotalSeconds;
    Console.WriteLine($"expire rows={rows} expired={expired} chunks={chunks} seconds={seconds:F2} rows_per_s={expired / seconds:F0}");
    return 0;
}

static void Measure(string name, int iterations, Func<int> query, int warmup = 20)
{
    for (var i = 0; i < warmup; i++) query();
    var times = new double[iterations];
    var rows = 0;
    for (var i = 0; i < iterations; i++)
    {
        var sw = Stopwatch.StartNew();
        rows = query();
        times[i] = sw.Elapsed.TotalMilliseconds;
    }
    Array.Sort(times);
    Console.WriteLine($"query {name} rows={rows} iterations={iterations} median_ms={times[iterations / 2]:F3} p99_ms={times[(int)(iterations * 0.99)]:F3}");
}
