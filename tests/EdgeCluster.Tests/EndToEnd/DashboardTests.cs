using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The dashboard in a real browser (Debian's headless Chromium over the DevTools protocol) against a real 3-member
/// cluster: members, devices, live readings from another member, a device going late and offline, a device's chart, and a
/// member cut off by the partition controller. Screenshots of each view go to the test output's dashboard folder.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class DashboardTests(ITestOutputHelper output)
{
    private static readonly string Shots = Path.Combine(AppContext.BaseDirectory, "dashboard");

    [Fact]
    public async Task Every_member_serves_a_live_dashboard_with_no_console_errors()
    {
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap");
        var register = await cluster[0].Http.PostAsJsonAsync("/api/devices", new { device_id = 2, name = "quiet-board", interval_s = 1 });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        // An hour of one board's readings for the device page.
        var now = DateTimeOffset.UtcNow;
        var hour = Enumerable.Range(0, 3600).Select(i => new
        {
            device_id = 1, temperature = Math.Round(21 + 2 * Math.Sin(i / 300.0), 2), humidity = 45 + i % 7, seq = i + 1,
            timestamp = now.AddSeconds(i - 3600).ToUnixTimeMilliseconds(),
        });
        Assert.True((await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", new { readings = hour })).IsSuccessStatusCode);

        await using var browser = await Browser.StartAsync();
        await browser.NavigateAsync(cluster[0].Http.BaseAddress!.ToString());
        await Eventually.AssertAsync(async () =>
            Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#members tbody tr').length"))!));
        Assert.Contains("this member", (string)(await browser.EvaluateAsync("document.querySelector('#members tr.me').textContent"))!);
        // Every member runs an inference worker: the coordinator's view lists the three.
        await Eventually.AssertAsync(async () =>
            Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#workers tbody tr[data-worker]').length"))!), TimeSpan.FromSeconds(20));

        // A reading posted to member 2 appears on member 1's page, without a reload.
        var posted = Stopwatch.StartNew();
        await cluster[1].PostReadingAsync(1, 23.4, 51, seq: 5000);
        await Eventually.AssertAsync(async () =>
            Assert.Equal("23.4 °C", (string?)await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"1\"] [data-temperature]')?.textContent")),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
        output.WriteLine($"reading posted to member 2 shown on member 1's page after {posted.ElapsedMilliseconds} ms");
        await browser.ScreenshotAsync(Path.Combine(Shots, "cluster-and-devices.png"));

        // A board that stops posting turns late, then offline.
        await cluster[2].PostReadingAsync(2, 19.0, 40, seq: 1);
        string? Status(object? s) => s?.ToString();
        await Eventually.AssertAsync(async () => Assert.Equal("online", Status(await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"2\"] [data-status]')?.dataset.status"))), TimeSpan.FromSeconds(10));
        await Eventually.AssertAsync(async () => Assert.Equal("late", Status(await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"2\"] [data-status]')?.dataset.status"))), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(100));
        await Eventually.AssertAsync(async () => Assert.Equal("offline", Status(await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"2\"] [data-status]')?.dataset.status"))), TimeSpan.FromSeconds(10));

        // The device page: a chart with no more points than it is wide, the daily table, the CSV link.
        await browser.EvaluateAsync("location.hash = '#/device/1'");
        await Eventually.AssertAsync(async () => Assert.NotNull(await browser.EvaluateAsync("document.querySelector('#chart canvas') && document.querySelector('#chart').dataset.points")));
        var points = int.Parse((string)(await browser.EvaluateAsync("document.querySelector('#chart').dataset.points"))!);
        var width = (int)(await browser.EvaluateAsync("document.querySelector('#chart').clientWidth"))!;
        Assert.InRange(points, 100, width);
        Assert.True((int)(await browser.EvaluateAsync("document.querySelectorAll('#daily tbody tr').length"))! >= 1);
        Assert.Equal(24, (int)(await browser.EvaluateAsync("document.querySelectorAll('#hours tbody tr').length"))!);
        Assert.EndsWith("%", (string?)await browser.EvaluateAsync("document.querySelector('[data-completeness]')?.textContent"));
        await browser.ScreenshotAsync(Path.Combine(Shots, "device.png"));

        // Member 3 cut off: unreachable on member 1's page, "cut off" on its own.
        await browser.EvaluateAsync("location.hash = '#/'");
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "node-2" })).StatusCode);
        await Eventually.AssertAsync(async () => Assert.Equal("unreachable",
            (string?)await browser.EvaluateAsync("document.querySelector('#members tr[data-member=\"node-2\"] [data-reach]')?.dataset.reach")), TimeSpan.FromSeconds(30));
        await browser.ScreenshotAsync(Path.Combine(Shots, "member-unreachable.png"));
        await browser.NavigateAsync(cluster[2].Http.BaseAddress!.ToString());
        await Eventually.AssertAsync(async () =>
            Assert.Contains("cut off", (string)(await browser.EvaluateAsync("document.querySelector('#self').textContent"))!), TimeSpan.FromSeconds(30));
        await browser.ScreenshotAsync(Path.Combine(Shots, "cut-off.png"));
        await cluster[0].Http.PostAsync("/api/admin/partition/heal", null);

        Assert.True(browser.Errors.Count == 0, string.Join("\n", browser.Errors));
        output.WriteLine($"screenshots in {Shots}");
    }
}
