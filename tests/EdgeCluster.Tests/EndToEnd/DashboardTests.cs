using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// The dashboard in a real browser (Debian's headless Chromium over the DevTools protocol) against a real 3-member
/// cluster: members, devices, live readings from another member, a device going late and offline, a device's chart, and a
/// member cut off by the partition controller, and the consistency lab on both sides of that cut. Screenshots of each view go to the test output's dashboard folder.
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
        // Three hours of one board's readings (one every 3 s) for the device page and its sparkline.
        var now = DateTimeOffset.UtcNow;
        var hours = Enumerable.Range(0, 3600).Select(i => new
        {
            device_id = 1, temperature = Math.Round(21 + 2 * Math.Sin(i / 100.0), 2), humidity = 45 + i % 7, seq = i + 1,
            timestamp = now.AddSeconds(3 * (i - 3600)).ToUnixTimeMilliseconds(),
        });
        Assert.True((await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", new { readings = hours })).IsSuccessStatusCode);

        await using var browser = await Browser.StartAsync();
        await browser.NavigateAsync(cluster[0].Http.BaseAddress!.ToString());
        await Eventually.AssertAsync(async () =>
            Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#members tbody tr').length"))!));
        Assert.Contains("this member", (string)(await browser.EvaluateAsync("document.querySelector('#members tr.me').textContent"))!);
        Assert.Equal("node-0,node-1,node-2", (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#members tbody tr')].map(r => r.dataset.member).join()"));
        // Every member runs an inference worker: the coordinator's view lists the three.
        await Eventually.AssertAsync(async () =>
            Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#workers tbody tr[data-worker]').length"))!), TimeSpan.FromSeconds(20));
        // Where the coordinator runs: the oldest member, by name.
        await Eventually.AssertAsync(async () =>
            Assert.Contains("coordinator on node-0", (string?)await browser.EvaluateAsync("document.querySelector('#coordinator').textContent")));

        // A reading posted to member 2 appears on member 1's page, without a reload.
        var posted = Stopwatch.StartNew();
        await cluster[1].PostReadingAsync(1, 23.4, 51, seq: 5000);
        await Eventually.AssertAsync(async () =>
            Assert.Equal("23.4 °C", (string?)await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"1\"] [data-temperature]')?.textContent")),
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
        output.WriteLine($"reading posted to member 2 shown on member 1's page after {posted.ElapsedMilliseconds} ms");
        // Its sparkline: the hourly averages of the last 24 hours, one vertex per hour with readings.
        await Eventually.AssertAsync(async () => Assert.InRange(
            (int)(await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"1\"] svg.spark polyline')?.getAttribute('points').split(' ').length ?? 0"))!, 3, 4));
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
        // The cut link shows at once (a partition event), with its time; the reachability when the failure detector sees it.
        await Eventually.AssertAsync(async () => Assert.Contains("since",
            (string?)await browser.EvaluateAsync("document.querySelector('#cuts [data-cut=\"node-2\"]')?.textContent")), TimeSpan.FromSeconds(5));
        await Eventually.AssertAsync(async () => Assert.Equal("unreachable",
            (string?)await browser.EvaluateAsync("document.querySelector('#members tr[data-member=\"node-2\"] [data-reach]')?.dataset.reach")), TimeSpan.FromSeconds(30));
        Assert.Contains("since", (string?)await browser.EvaluateAsync("document.querySelector('#members tr[data-member=\"node-2\"] [data-reach]').textContent"));
        await browser.ScreenshotAsync(Path.Combine(Shots, "member-unreachable.png"));
        await browser.NavigateAsync(cluster[2].Http.BaseAddress!.ToString());
        await Eventually.AssertAsync(async () =>
            Assert.Contains("cut off", (string)(await browser.EvaluateAsync("document.querySelector('#self').textContent"))!), TimeSpan.FromSeconds(30));
        await browser.ScreenshotAsync(Path.Combine(Shots, "cut-off.png"));

        // The consistency lab on both sides of the cut: the minority cannot write strongly; eventual writes on both sides
        // become two siblings on every member after the heal; last-writer-wins resolves them everywhere.
        await browser.EvaluateAsync("location.hash = '#/lab'");
        await Eventually.AssertAsync(async () => Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#kv-members tbody tr').length"))!));
        Assert.Equal("503", (string?)await LabWrite("minority", "strong"));
        Assert.Equal("200", (string?)await LabWrite("minority", "eventual"));
        await browser.NavigateAsync(cluster[0].Http.BaseAddress!.ToString() + "#/lab");
        Assert.Equal("200", (string?)await LabWrite("majority", "strong"));
        await Eventually.AssertAsync(async () =>
        {
            await browser.EvaluateAsync("document.querySelector('#kv-read').click()");
            Assert.Equal("\"majority\"", (string?)await browser.EvaluateAsync("document.querySelector('#kv-members tr[data-member=\"node-1\"] [data-value]')?.textContent"));
            Assert.Equal("\"minority\"", (string?)await browser.EvaluateAsync("document.querySelector('#kv-members tr[data-member=\"node-2\"] [data-value]')?.textContent"));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(300));
        await cluster[0].Http.PostAsync("/api/admin/partition/heal", null);
        await Eventually.AssertAsync(async () =>
        {
            await browser.EvaluateAsync("document.querySelector('#kv-read').click()");
            await Task.Delay(200);
            Assert.Equal("2,2,2", (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#kv-members tbody tr')].map(r => r.dataset.siblings).join()"));
        }, TimeSpan.FromSeconds(45), TimeSpan.FromMilliseconds(500));
        Assert.Contains("conflict", (string?)await browser.EvaluateAsync("document.querySelector('#kv-members tbody').textContent"));
        Assert.Contains("node-2:1", (string?)await browser.EvaluateAsync("document.querySelector('#kv-members tbody').textContent"));
        await browser.ScreenshotAsync(Path.Combine(Shots, "consistency-lab.png"));
        await browser.EvaluateAsync("document.querySelector('#kv-resolve').click()");
        await Eventually.AssertAsync(async () =>
        {
            await browser.EvaluateAsync("document.querySelector('#kv-read').click()");
            await Task.Delay(200);
            Assert.Equal("1,1,1", (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#kv-members tbody tr')].map(r => r.dataset.siblings).join()"));
            var values = (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#kv-members [data-value]')].map(v => v.textContent).join()");
            Assert.Contains(values, new[] { "\"majority\",\"majority\",\"majority\"", "\"minority\",\"minority\",\"minority\"" });
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));

        // On a phone held next to the shelf: the cluster view fits the width (no sideways scrolling), units kept.
        await browser.SendAsync("Emulation.setDeviceMetricsOverride", new { width = 390, height = 844, deviceScaleFactor = 2, mobile = true });
        await browser.EvaluateAsync("location.hash = '#/'");
        await Eventually.AssertAsync(async () =>
            Assert.Equal(3, (int)(await browser.EvaluateAsync("document.querySelectorAll('#members tbody tr').length"))!));
        Assert.True((bool)(await browser.EvaluateAsync("document.documentElement.scrollWidth <= document.documentElement.clientWidth"))!,
            $"the page is {await browser.EvaluateAsync("document.documentElement.scrollWidth")} px wide on a 390-px phone");
        // The devices table is fetched on its own after the members': it may come a moment later.
        await Eventually.AssertAsync(async () => Assert.EndsWith("°C",
            (string?)await browser.EvaluateAsync("document.querySelector('#devices tr[data-device=\"1\"] [data-temperature]')?.textContent ?? ''")));
        await browser.ScreenshotAsync(Path.Combine(Shots, "phone.png"));

        // The one error the page may log is the browser's own line for the minority's refused strong write (503).
        var errors = browser.Errors.Where(e => !e.Contains("status of 503")).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Single(browser.Errors, e => e.Contains("status of 503"));
        output.WriteLine($"screenshots in {Shots}");

        Task<string?> LabWrite(string value, string consistency) => LabWriteAsync(browser, "setpoint", value, consistency);
    }

    [Fact]
    public async Task With_device_tokens_on_the_consistency_labs_write_asks_for_the_admin_token_and_sends_it()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, adminToken: "lab-admin", configure: s => s with { DeviceAuth = "tokens" });
        await using var browser = await Browser.StartAsync();
        await browser.NavigateAsync(node.Http.BaseAddress!.ToString() + "#/lab");
        await Eventually.AssertAsync(async () => Assert.True((bool)(await browser.EvaluateAsync("!!document.querySelector('#kv-form')"))!));

        // What the user would type into the prompt; then a write from the form.
        Task<string?> WriteAsync(string typed) => LabWriteAsync(browser, "door", "open", "eventual", typed);

        Assert.Equal("401", await WriteAsync("not-the-token"));
        Assert.Contains("refused (401)", (string?)await browser.EvaluateAsync("document.querySelector('#kv-outcome').textContent"));
        await browser.EvaluateAsync("sessionStorage.clear()");
        Assert.Equal("200", await WriteAsync("lab-admin"));
        var stored = await (await node.Http.GetAsync("/api/kv/door")).ReadJsonAsync();
        Assert.Equal("open", stored.GetProperty("value").GetString());
    }

    /// <summary>
    /// Writes the value (a JSON string) to the key with the consistency from the consistency lab's form, typing
    /// <paramref name="typedIntoPrompt"/> should the page ask for the admin token; the status of the answer.
    /// </summary>
    private static async Task<string?> LabWriteAsync(Browser browser, string key, string value, string consistency, string? typedIntoPrompt = null)
    {
        await browser.EvaluateAsync($$"""
            (() => {
              {{(typedIntoPrompt is null ? "" : $"window.prompt = () => '{typedIntoPrompt}';")}}
              document.querySelector('#kv-key').value = '{{key}}';
              document.querySelector('#kv-value').value = '"{{value}}"';
              document.querySelector('#kv-consistency').value = '{{consistency}}';
              document.querySelector('#kv-outcome').dataset.status = '';
              document.querySelector('#kv-form').requestSubmit();
            })()
            """);
        string? status = null;
        await Eventually.AssertAsync(async () =>
            Assert.NotEqual("", status = (string?)await browser.EvaluateAsync("document.querySelector('#kv-outcome').dataset.status")),
            TimeSpan.FromSeconds(15));
        return status;
    }
}
