using System.Text.RegularExpressions;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Tests.Storage;

/// <summary>
/// Every query the API runs uses an index: on a read model of a million readings, EXPLAIN QUERY PLAN of each statement
/// must not scan sensor_readings (a full table or full index scan grows with the SD card's contents).
/// </summary>
[Trait("Category", "Slow")]
public sealed class QueryPlanTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void No_statement_of_the_api_scans_the_readings_table_of_a_million_readings()
    {
        using var store = new ReadModelStore(_dir.File("readings.db"));
        const int devices = 100, perDevice = 10_000;
        var start = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds();
        var originSeq = 0L;
        for (var chunk = 0; chunk < devices * perDevice / 10_000; chunk++)
        {
            var readings = Enumerable.Range(0, 10_000).Select(i =>
            {
                var n = chunk * 10_000 + i;
                var device = n % devices + 1;
                var time = start + (long)(n / devices) * 250_000;
                return new JournaledReading(new Reading(device, 20 + n % 7, 50, time, time, n / devices + 1), "plan", ++originSeq);
            }).ToList();
            store.Writer.Apply([new ReadingsJournaled("plan", readings)], chunk + 1);
        }
        Assert.Equal(devices * perDevice, store.Queries.CountReadings());

        var statements = ReadingQueries.Statements.Concat(AnalyticsQueries.Statements).ToList();
        Assert.True(statements.Count >= 10);
        using var connection = store.Database.Open();
        foreach (var (name, sql) in statements)
        {
            using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
            foreach (var parameter in Regex.Matches(sql, @"\$[a-zA-Z]+").Select(m => m.Value).Distinct())
                explain.Parameters.AddWithValue(parameter, parameter is "$since" or "$from" or "$until" or "$to" ? "2026-01-01T00:00:00.000Z" : 1);
            var plan = new List<string>();
            using (var reader = explain.ExecuteReader())
                while (reader.Read()) plan.Add(reader.GetString(3));
            // sensor_readings appears as itself or as r and s (latest); reading_devices (d) is one row per device. A SEARCH
            // with no constraint on the index (no "(device_id=?)") reads the whole index too, whatever SQLite calls it.
            Assert.False(plan.Any(step => Regex.IsMatch(step, @"^SCAN (sensor_readings|r|s|rollups)\b")
                                          || Regex.IsMatch(step, @"^SEARCH (sensor_readings|r|s) USING (COVERING )?INDEX \S+$")),
                $"{name} scans the readings:\n{string.Join("\n", plan)}");
            Assert.Contains(plan, step => step.Contains("USING INDEX") || step.Contains("USING INTEGER PRIMARY KEY")
                                          || step.Contains("USING COVERING INDEX") || step.Contains("USING PRIMARY KEY"));
        }
    }
}
