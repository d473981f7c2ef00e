using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Contracts;

namespace EdgeCluster.Tests.Http;

/// <summary>The lab's analytics over HTTP on data with known answers.</summary>
public sealed class AnalyticsApiTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;
    private HttpClient Http => _node.Http;
    // Whole days back from today, so every reading is in the past and inside a 30-day window.
    private static readonly DateTime Today = DateTime.UtcNow.Date;

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

    private async Task PostAsync(int device, IEnumerable<(DateTime At, double Temperature, double Humidity)> readings)
    {
        var seq = 0;
        var batch = readings.Select(r => new { device_id = device, temperature = r.Temperature, humidity = r.Humidity, seq = ++seq, timestamp = r.At.ToString("O") }).ToList();
        foreach (var chunk in batch.Chunk(5000))
            Assert.Equal(HttpStatusCode.OK, (await Http.PostAsJsonAsync("/api/readings/batch", chunk)).StatusCode);
    }

    private async Task<T> GetAsync<T>(string path)
    {
        var response = await Http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(ApiJson.Options))!;
    }

    [Fact]
    public async Task Daily_stats_carry_the_change_against_the_day_before_and_hour_of_day_has_24_buckets()
    {
        // Three days averaging 20, 22 and 21 degrees, two readings each at 03:00 and 15:00.
        await PostAsync(1, new[] { (3, 19.0, 21.0), (2, 21.0, 23.0), (1, 20.0, 22.0) }.SelectMany(d => new[]
        {
            (Today.AddDays(-d.Item1).AddHours(3), d.Item2, 50.0),
            (Today.AddDays(-d.Item1).AddHours(15), d.Item3, 60.0),
        }));

        var daily = await GetAsync<StatsAnswer>("/api/stats/1?period=daily&days=7");
        Assert.Equal(3, daily.Buckets.Count);
        Assert.Equal([21.0, 22.0, 20.0], daily.Buckets.Select(b => b.AvgTemperature));            // newest first
        Assert.Equal([-1.0, 2.0, null], daily.Buckets.Select(b => b.TemperatureChange));
        Assert.Equal(6, daily.TotalReadings);

        var hours = await GetAsync<HourOfDayAnswer>("/api/stats/1?period=hour-of-day&days=30");
        Assert.Equal(Enumerable.Range(0, 24), hours.Buckets.Select(b => b.Hour));
        Assert.Equal(3, hours.Buckets[3].Count);
        Assert.Equal(20.0, hours.Buckets[3].AvgTemperature);
        Assert.Equal(22.0, hours.Buckets[15].AvgTemperature);
        Assert.Equal(6, hours.Buckets.Sum(b => b.Count));
        Assert.Null(hours.Buckets[0].AvgTemperature);

        var bad = await Http.GetAsync("/api/stats/1?period=weekly");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("period", (await bad.ReadJsonAsync()).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Every_devices_buckets_come_in_one_answer_as_each_devices_own_stats_give_them()
    {
        await PostAsync(1, [(Today.AddDays(-1).AddHours(3), 19.0, 50.0), (Today.AddDays(-1).AddHours(15), 21.0, 60.0)]);
        await PostAsync(2, [(Today.AddDays(-2).AddHours(8), 30.0, 40.0)]);

        var all = await GetAsync<AllStatsAnswer>("/api/stats?period=daily&days=7");
        Assert.Equal([1, 2], all.Devices.Select(d => d.DeviceId));
        foreach (var device in all.Devices)
            Assert.Equal((await GetAsync<StatsAnswer>($"/api/stats/{device.DeviceId}?period=daily&days=7")).Buckets, device.Buckets);
        Assert.Equal(20.0, all.Devices[0].Buckets.Single().AvgTemperature);
        var hourly = await GetAsync<AllStatsAnswer>("/api/stats?hours=72");
        Assert.Equal(("hourly", 72), (hourly.Period, hourly.Hours));
        Assert.Equal([2, 1], hourly.Devices.Select(d => d.Buckets.Count));

        foreach (var (query, field) in new[] { ("period=hour-of-day", "period"), ("hours=0", "hours"), ("days=x", "days") })
        {
            var bad = await Http.GetAsync($"/api/stats?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(field, (await bad.ReadJsonAsync()).GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Anomalies_are_readings_far_from_their_own_device_ordered_by_z()
    {
        // Device 1 around 20 degrees with one spike at 35; device 2 around 5 degrees with one drop to -10. 5 minutes apart.
        var start = Today.AddDays(-1);
        await PostAsync(1, Enumerable.Range(0, 60).Select(i => (start.AddMinutes(5 * i), i == 30 ? 35.0 : 20 + (i % 3) * 0.1, 50.0)));
        await PostAsync(2, Enumerable.Range(0, 60).Select(i => (start.AddMinutes(5 * i), i == 10 ? -10.0 : 5 + (i % 2) * 0.1, 50.0)));

        var one = await GetAsync<AnomaliesAnswer>("/api/anomalies?device_id=1&z=2.5");
        var spike = Assert.Single(one.Anomalies);
        Assert.Equal(35.0, spike.Value);
        Assert.Equal(31, spike.Seq);
        Assert.True(spike.ZScore > 7, $"z {spike.ZScore}");
        Assert.InRange(spike.Mean, 20.2, 20.4);

        var all = await GetAsync<AnomaliesAnswer>("/api/anomalies?z=2.5");
        Assert.Equal(2, all.Count);
        Assert.Equal([1, 2], all.Anomalies.Select(a => a.DeviceId).Order());
        Assert.True(Math.Abs(all.Anomalies[0].ZScore) >= Math.Abs(all.Anomalies[1].ZScore));
        Assert.Contains(all.Anomalies, a => a.DeviceId == 2 && a.Value == -10.0 && a.ZScore < 0);
        Assert.NotNull(all.OldestRaw);

        var humidity = await GetAsync<AnomaliesAnswer>("/api/anomalies?field=humidity");
        Assert.Empty(humidity.Anomalies);
        Assert.Equal("field", (await (await Http.GetAsync("/api/anomalies?field=pressure")).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal("z", (await (await Http.GetAsync("/api/anomalies?z=-1")).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/anomalies?device_id=77")).StatusCode);
    }

    [Fact]
    public async Task Quality_counts_completeness_days_and_the_longest_gaps()
    {
        // Every 5 minutes for 2 hours (25 expected), minus 30 minutes (5 readings) from 00:30 on, and minus one at 01:40.
        var start = Today.AddDays(-2);
        var times = Enumerable.Range(0, 25).Select(i => start.AddMinutes(5 * i))
            .Where(t => !(t >= start.AddMinutes(35) && t < start.AddMinutes(60)) && t != start.AddMinutes(100)).ToList();
        await PostAsync(1, times.Select(t => (t, 20.0, 50.0)));

        var quality = await GetAsync<QualityAnswer>("/api/quality?expected_interval_s=300&days=30");
        var device = Assert.Single(quality.Devices);
        Assert.Equal(1, device.DeviceId);
        Assert.Equal(19, device.TotalReadings);
        Assert.Equal(1, device.DaysActive);
        Assert.Equal(Math.Round(19 / 25.0, 4), device.Completeness);
        Assert.Equal([5L, 1L], device.Gaps.Select(g => g.Missing));
        Assert.StartsWith(start.AddMinutes(30).ToString("yyyy-MM-ddTHH:mm"), device.Gaps[0].Start);
        Assert.StartsWith(start.AddMinutes(60).ToString("yyyy-MM-ddTHH:mm"), device.Gaps[0].End);

        // One device (the dashboard's device page): the same figures; a device with no readings has none; unknown: 404.
        await PostAsync(2, [(start, 20.0, 50.0)]);
        Assert.Equal(2, (await GetAsync<QualityAnswer>("/api/quality?days=30")).Devices.Count);
        Assert.Equal(device, Assert.Single((await GetAsync<QualityAnswer>("/api/quality?device_id=1&days=30")).Devices), QualityComparer);
        var unknown = await Http.GetAsync("/api/quality?device_id=77");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("device_id", (await unknown.ReadJsonAsync()).GetProperty("field").GetString());
    }

    private static readonly IEqualityComparer<DeviceQuality> QualityComparer = EqualityComparer<DeviceQuality>.Create(
        (a, b) => a!.DeviceId == b!.DeviceId && a.TotalReadings == b.TotalReadings && a.Completeness == b.Completeness
                  && a.Gaps.SequenceEqual(b.Gaps), d => d.DeviceId);

    [Fact]
    public async Task A_series_has_no_more_points_than_asked_with_its_ends_kept()
    {
        var start = Today.AddDays(-3);
        await PostAsync(1, Enumerable.Range(0, 2000).Select(i => (start.AddMinutes(i), 20 + Math.Sin(i / 50.0) * 5, 50.0)));

        foreach (var method in new[] { "lttb", "avg", "minmax" })
        {
            var series = await GetAsync<SeriesAnswer>($"/api/series/1?field=temperature&points=300&method={method}");
            Assert.Equal(2000, series.RawPoints);
            Assert.InRange(series.Series.Count, 100, 300);
            Assert.Equal(new DateTimeOffset(start).ToUnixTimeMilliseconds(), (long)series.Series[0][0]);
            Assert.Equal(new DateTimeOffset(start.AddMinutes(1999)).ToUnixTimeMilliseconds(), (long)series.Series[^1][0]);
        }
        var window = await GetAsync<SeriesAnswer>($"/api/series/1?from={start.AddMinutes(100):O}&to={start.AddMinutes(199):O}&points=1000");
        Assert.Equal(100, window.RawPoints);
        Assert.Equal(100, window.Series.Count);
        Assert.Equal("points", (await (await Http.GetAsync("/api/series/1?points=2")).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/series/77")).StatusCode);
    }

    [Fact]
    public async Task Readings_download_as_csv_with_the_same_rows_as_json()
    {
        var start = Today.AddDays(-1);
        await PostAsync(1, Enumerable.Range(0, 50).Select(i => (start.AddMinutes(i), 20.0 + i / 10.0, 40.0 + i)));

        var json = await GetAsync<ReadingsPage>("/api/readings/1?limit=20");
        var csv = await Http.GetAsync("/api/readings/1?limit=20&format=csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n');
        Assert.Equal("reading_id,device_id,timestamp,received_at,temperature,humidity,seq,origin_node,origin_seq", lines[0]);
        Assert.Equal(json.Readings.Count + 1, lines.Length);
        Assert.Equal(json.Readings.Select(r => $"{r.ReadingId},{r.DeviceId},{r.Timestamp},{r.ReceivedAt},{r.Temperature:R},{r.Humidity:R},{r.Seq},{r.OriginNode},{r.OriginSeq}"),
            lines.Skip(1));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/readings/1?limit=5");
        request.Headers.Accept.ParseAdd("text/csv");
        Assert.Equal(6, (await (await Http.SendAsync(request)).Content.ReadAsStringAsync()).TrimEnd('\n').Split('\n').Length);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/readings/77?format=csv")).StatusCode);
    }
}
