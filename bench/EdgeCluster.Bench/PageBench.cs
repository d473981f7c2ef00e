using System.Globalization;
using EdgeCluster.Tests.Support;

/// <summary>
/// The dashboard's speed in Debian's headless Chromium: the first render of <c>/</c> (from navigation start until every
/// member and every device is in its table), and a device page over 30 days (from the click on "30d" until both charts,
/// the daily and hour-of-day tables and the data quality are drawn). The first run of each is cold (new browser profile,
/// nothing cached); the median is over every run.
/// </summary>
public static class PageBench
{
    public static async Task<int> RenderAsync(string member, int members, int devices, int device, int runs)
    {
        var first = new List<double>();
        var page = new List<double>();
        await using var browser = await Browser.StartAsync();
        for (var run = 0; run < runs; run++)
        {
            await browser.NavigateAsync($"{member}/");
            first.Add(Ms(await browser.EvaluateAsync($$"""
                new Promise((done, fail) => {
                  const give = setTimeout(() => fail(new Error("the page did not render in 30 s")), 30000);
                  const look = () => document.querySelectorAll('#members tbody tr').length >= {{members}}
                      && document.querySelectorAll('#devices tbody tr[data-device]').length >= {{devices}}
                    ? (clearTimeout(give), done(performance.now())) : setTimeout(look, 5);
                  look();
                })
                """)));
            page.Add(Ms(await browser.EvaluateAsync($$"""
                new Promise((done, fail) => {
                  location.hash = '#/device/{{device}}';
                  const give = setTimeout(() => fail(new Error("the device page did not render in 30 s")), 30000);
                  const ready = () => document.querySelector('#chart canvas') && document.querySelector('#chart-humidity canvas')
                      && document.querySelectorAll('#hours tbody tr').length === 24 && document.querySelector('#quality').textContent.length > 0;
                  const start = () => {
                    if (!ready()) return setTimeout(start, 5);
                    const t0 = performance.now();
                    document.querySelector('[data-range="30d"]').click();
                    const look = () => ready() && document.querySelector('[data-range="30d"][aria-pressed="true"]')
                      ? (clearTimeout(give), done(performance.now() - t0)) : setTimeout(look, 5);
                    look();
                  };
                  start();
                })
                """)));
            if (run == 0)
            {
                var points = await browser.EvaluateAsync("document.querySelector('#chart').dataset.points");
                var width = await browser.EvaluateAsync("document.querySelector('#chart').clientWidth");
                Console.WriteLine($"page device={device} range=30d chart points={points} width={width}px");
            }
        }
        if (browser.Errors.Count > 0) Console.WriteLine("console errors: " + string.Join(" | ", browser.Errors));
        Console.WriteLine($"page first-render-ms cold={first[0]:F0} median={Median(first):F0} max={first.Max():F0} " +
                          $"device-30d-ms cold={page[0]:F0} median={Median(page):F0} max={page.Max():F0} runs={runs}");
        return 0;
    }

    private static double Ms(System.Text.Json.Nodes.JsonNode? value) => double.Parse(value!.ToString(), CultureInfo.InvariantCulture);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
