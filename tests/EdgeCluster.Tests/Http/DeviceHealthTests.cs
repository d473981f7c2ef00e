using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Contracts;

namespace EdgeCluster.Tests.Http;

/// <summary>Device health (the lab's Exercise 1) over HTTP: last seen, expected interval, online / late / offline.</summary>
public sealed class DeviceHealthTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;
    private HttpClient Http => _node.Http;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    private async Task RegisterAsync(int id, int? intervalS)
    {
        var response = await Http.PostAsJsonAsync("/api/devices", new { device_id = id, name = $"board-{id}", interval_s = intervalS });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<DeviceDetail> DeviceAsync(int id) =>
        (await Http.GetFromJsonAsync<DeviceDetail>($"/api/devices/{id}", ApiJson.Options))!;

    /// <summary>Collects the node's device status events, as any part of the node would subscribe to them.</summary>
    private sealed class StatusCollector : Akka.Actor.ReceiveActor
    {
        public StatusCollector(System.Collections.Concurrent.ConcurrentQueue<EdgeCluster.Node.DeviceStatusChanged> seen) =>
            Receive<EdgeCluster.Node.DeviceStatusChanged>(seen.Enqueue);
    }

    [Fact]
    public async Task A_board_that_stops_reporting_turns_late_then_offline()
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<EdgeCluster.Node.DeviceStatusChanged>();
        var collector = _node.System.ActorOf(Akka.Actor.Props.Create(() => new StatusCollector(events)));
        _node.System.EventStream.Subscribe(collector, typeof(EdgeCluster.Node.DeviceStatusChanged));
        await RegisterAsync(1, intervalS: 1);
        Assert.Equal("offline", (await DeviceAsync(1)).Status);   // never seen
        await _node.PostReadingAsync(1, 21.0, 40, seq: 1);
        var fresh = await DeviceAsync(1);
        Assert.Equal("online", fresh.Status);
        Assert.Equal(1, fresh.IntervalS);
        Assert.NotNull(fresh.LastSeen);

        await Eventually.AssertAsync(async () => Assert.Equal("late", (await DeviceAsync(1)).Status), TimeSpan.FromSeconds(5));
        await Eventually.AssertAsync(async () => Assert.Equal("offline", (await DeviceAsync(1)).Status), TimeSpan.FromSeconds(10));
        var offline = await Http.GetFromJsonAsync<DeviceList>("/api/devices?status=offline", ApiJson.Options);
        Assert.Contains(offline!.Devices, d => d.DeviceId == 1);

        // The watch looks every second: the change is an event by then.
        await Eventually.AssertAsync(() =>
        {
            Assert.Contains("late,offline", string.Join(",", events.Where(e => e.DeviceId == 1).Select(e => e.To)));
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(3));

        // It reports again: online at once.
        await _node.PostReadingAsync(1, 21.5, 40, seq: 2);
        Assert.Equal("online", (await DeviceAsync(1)).Status);
        Assert.Empty((await Http.GetFromJsonAsync<DeviceList>("/api/devices?status=offline", ApiJson.Options))!.Devices);

        // Each change was an event, in order.
        await Eventually.AssertAsync(() =>
        {
            // (and on: one second after its last reading it goes late again)
            var changes = string.Join(",", events.Where(e => e.DeviceId == 1).Select(e => e.To));
            Assert.Contains("online,late,offline,online", changes);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(5));
        Assert.All(events.Where(e => e.DeviceId == 1).Skip(1), e => Assert.NotNull(e.From));
    }

    [Fact]
    public async Task Without_a_registered_interval_the_median_gap_of_recent_readings_is_the_interval()
    {
        await RegisterAsync(2, intervalS: null);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var i = 0; i < 10; i++)
        {
            var at = start.AddSeconds(60 * i + (i == 5 ? 7 : 0));   // one reading a little late: the median ignores it
            Assert.Equal(HttpStatusCode.OK, (await Http.PostAsJsonAsync("/api/reading",
                new { device_id = 2, temperature = 20.0, humidity = 50, seq = i + 1, timestamp = at.ToString("O") })).StatusCode);
        }
        var device = await DeviceAsync(2);
        Assert.Equal(60, device.IntervalS);
        Assert.Equal("online", device.Status);   // last seen (received) just now

        var list = (await Http.GetFromJsonAsync<DeviceList>("/api/devices", ApiJson.Options))!;
        Assert.Equal("online", Assert.Single(list.Devices).Status);
    }

    [Fact]
    public async Task Bad_intervals_and_statuses_are_refused_naming_the_field()
    {
        var bad = await Http.PostAsJsonAsync("/api/devices", new { device_id = 3, name = "b", interval_s = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("interval_s", (await bad.ReadJsonAsync()).GetProperty("field").GetString());
        var filter = await Http.GetAsync("/api/devices?status=asleep");
        Assert.Equal(HttpStatusCode.BadRequest, filter.StatusCode);
        Assert.Equal("status", (await filter.ReadJsonAsync()).GetProperty("field").GetString());
    }
}
