using EdgeCluster.Contracts;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli.Experiments;

/// <summary>
/// One experiment's schedule and load: clients on every member (eventual and strong readings, strong reads) from the
/// start; after a sixth of the run the nemesis cuts the network for half of it (or flaps it), then heals; the load
/// stops, and final reads on every member wait for convergence. Every operation goes into the history.
/// </summary>
public sealed class ExperimentRun(ExperimentSettings settings, IReadOnlyList<Target> targets, HttpClient http, INemesis nemesis,
    IReadOnlyList<string>? minorityOverride)
{
    private readonly ConcurrentQueue<Op> _history = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Window> _windows = new();
    private double Now => _clock.Elapsed.TotalSeconds;

    public static int EventualDevice(int client) => 1000 + client;
    public static int StrongDevice(int client) => 2000 + client;

    public async Task<Report> ExecuteAsync()
    {
        for (var i = 0; i < targets.Count; i++)
        {
            await RegisterAsync(targets[0], EventualDevice(i));
            await RegisterAsync(targets[0], StrongDevice(i));
        }
        var minority = minorityOverride ?? (settings.Nemesis == NemesisKind.Split
            ? targets.Skip((targets.Count + 1) / 2).Select(t => t.Name).ToList()
            : [targets[^1].Name]);
        var majority = targets.Select(t => t.Name).Except(minority).ToList();
        // Let the registry reach every member before the clock starts.
        await Task.Delay(TimeSpan.FromSeconds(2));
        _clock.Restart();

        Progress($"load on {string.Join(", ", targets.Select(t => t.Name))}");
        using var stop = new CancellationTokenSource();
        var clients = targets.Select((t, i) => ClientAsync(i, t, stop.Token)).ToList();
        var warmup = settings.Duration / 6;
        var cut = settings.Duration / 2;
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        if (settings.Nemesis == NemesisKind.Flap) await FlapAsync(minority, majority, cut);
        else await CutOnceAsync(minority, majority, cut);
        var healedAt = Now;
        await Task.Delay(TimeSpan.FromSeconds(settings.Duration - warmup - cut));
        stop.Cancel();
        await Task.WhenAll(clients);
        var loadEnd = Now;
        Progress("load stopped; final reads on every member");

        var final = await ConvergeAsync(TimeSpan.FromSeconds(90));
        var history = _history.OrderBy(o => o.InvokedAt).ToList();
        var verdict = Checker.Check(targets, history, _windows, minority, healedAt, loadEnd, final);
        return ExperimentReport.Write(settings, targets, _windows, history, verdict, healedAt, loadEnd, await FinalMembersAsync());
    }

    private async Task CutOnceAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority, double seconds)
    {
        await CutAsync(minority, majority);
        var from = Now;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        _windows.Add(new Window(from, Now, minority, settings.Nemesis));
        await HealAsync();
    }

    /// <summary>Cut for up to 4 s, heal for 2 s, again, for <paramref name="seconds"/>.</summary>
    private async Task FlapAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority, double seconds)
    {
        var until = Now + seconds;
        while (Now < until)
        {
            await CutAsync(minority, majority);
            var start = Now;
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, Math.Min(4, until - Now))));
            _windows.Add(new Window(start, Now, minority, NemesisKind.Flap));
            await HealAsync();
            if (Now < until) await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, until - Now)));
        }
    }

    private Task CutAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority)
    {
        Progress($"cut: {string.Join(",", minority)} | {string.Join(",", majority)}");
        return nemesis.CutAsync(minority, majority);
    }

    private Task HealAsync()
    {
        Progress("heal");
        return nemesis.HealAsync();
    }

    private async Task RegisterAsync(Target t, int device)
    {
        var response = await http.PostAsJsonAsync($"http://{t.Http}/api/devices",
            new { device_id = device, name = $"experiment-{device}", type = "sim", location = "experiment" });
        if (!response.IsSuccessStatusCode)
            throw new CliException($"registering device {device} on {t.Name} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private void Progress(string what)
    {
        Output.Out.WriteLine($"{Now,6:0.0} s  {what}");
        Output.Out.Flush();
    }

    /// <summary>
    /// Three clients per member, each waiting for its own answers as a board does: eventual readings at the full
    /// rate, strong readings and strong reads at a fifth of it (--strong-every), so a slow strong answer never
    /// holds back the eventual ones.
    /// </summary>
    private Task ClientAsync(int index, Target target, CancellationToken stop)
    {
        var eventualSeq = 0L;
        var strongSeq = 0L;
        return Task.WhenAll(
            PacedAsync(settings.Rate, () => WriteAsync(index, target, OpKind.EventualWrite, EventualDevice(index), ++eventualSeq), stop),
            PacedAsync(settings.StrongRate, () => WriteAsync(index, target, OpKind.StrongWrite, StrongDevice(index), ++strongSeq), stop),
            PacedAsync(settings.StrongRate, () => StrongReadAsync(index, target, StrongDevice((index + 1) % targets.Count)), stop));
    }

    private async Task PacedAsync(double perSecond, Func<Task> operation, CancellationToken stop)
    {
        var interval = 1.0 / perSecond;
        var next = Now;
        while (!stop.IsCancellationRequested)
        {
            await operation();
            next += interval;
            var wait = next - Now;
            if (wait <= 0) { next = Now; continue; }
            try { await Task.Delay(TimeSpan.FromSeconds(wait), stop); }
            catch (TaskCanceledException) { return; }
        }
    }

    private async Task WriteAsync(int client, Target target, OpKind kind, int device, long seq)
    {
        var invoked = Now;
        var consistency = kind == OpKind.StrongWrite ? "strong" : "eventual";
        try
        {
            using var response = await http.PostAsJsonAsync($"http://{target.Http}/api/reading?consistency={consistency}",
                new { device_id = device, temperature = 20 + seq % 10, humidity = 50, seq });
            var body = await response.Content.ReadAsStringAsync();
            var outcome = response.IsSuccessStatusCode ? Outcome.Ok
                // Refused before anything was stored: a definite failure. Anything else may have been stored.
                : body.Contains("nothing was stored") || (int)response.StatusCode is 400 or 404 ? Outcome.Fail : Outcome.Info;
            _history.Enqueue(new Op(client, target.Name, kind, device, seq, invoked, Now, outcome, (int)response.StatusCode,
                response.IsSuccessStatusCode ? null : Short(body)));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A refused connection never reached the node; a timeout or a reset may have.
            var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            _history.Enqueue(new Op(client, target.Name, kind, device, seq, invoked, Now, refused ? Outcome.Fail : Outcome.Info, 0, Short(e.Message)));
        }
    }

    private async Task StrongReadAsync(int client, Target target, int device)
    {
        var invoked = Now;
        try
        {
            using var response = await http.GetAsync($"http://{target.Http}/api/readings/{device}?consistency=strong&limit=10000");
            var body = await response.Content.ReadAsStringAsync();
            int? count = response.IsSuccessStatusCode ? JsonSerializer.Deserialize<ReadingsPage>(body, ApiJson.Options)?.Count : null;
            _history.Enqueue(new Op(client, target.Name, OpKind.StrongRead, device, 0, invoked, Now,
                response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Fail, (int)response.StatusCode, response.IsSuccessStatusCode ? null : Short(body), count));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            _history.Enqueue(new Op(client, target.Name, OpKind.StrongRead, device, 0, invoked, Now, Outcome.Fail, 0, Short(e.Message)));
        }
    }

    /// <summary>Final reads: until every member holds every acknowledged write, or the time is up.</summary>
    private async Task<FinalReads> ConvergeAsync(TimeSpan within)
    {
        var acked = _history.Where(o => o.Outcome == Outcome.Ok && o.IsWrite).Select(o => (o.Device, o.Seq)).ToHashSet();
        var devices = acked.Select(a => a.Device)
            .Concat(targets.SelectMany((_, i) => new[] { EventualDevice(i), StrongDevice(i) })).Distinct().ToList();
        var deadline = Now + within.TotalSeconds;
        while (true)
        {
            var reads = new Dictionary<string, HashSet<(int, long)>>();
            foreach (var t in targets) reads[t.Name] = await HeldAsync(t, devices);
            if (reads.Values.All(h => acked.IsSubsetOf(h))) return new FinalReads(reads, Now);
            if (Now > deadline) return new FinalReads(reads, null);
            await Task.Delay(250);
        }
    }

    private async Task<HashSet<(int, long)>> HeldAsync(Target t, IEnumerable<int> devices)
    {
        var held = new HashSet<(int, long)>();
        try
        {
            foreach (var d in devices)
            {
                var page = await http.GetFromJsonAsync<ReadingsPage>($"http://{t.Http}/api/readings/{d}?limit=10000", ApiJson.Options);
                foreach (var r in page?.Readings ?? [])
                    if (r.Seq is { } s) held.Add((d, s));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
        return held;
    }

    private async Task<List<FinalMember>> FinalMembersAsync()
    {
        var rows = new List<FinalMember>();
        foreach (var t in targets)
        {
            try
            {
                var health = await http.GetFromJsonAsync<HealthView>($"http://{t.Http}/api/health", ApiJson.Options);
                var links = await http.GetFromJsonAsync<LinksView>($"http://{t.Http}/api/admin/links", ApiJson.Options);
                rows.Add(new FinalMember(t.Name, health?.Member, links?.Incarnation, null));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                rows.Add(new FinalMember(t.Name, null, null, e.Message));
            }
        }
        return rows;
    }

    private static string Short(string text) => text.Length > 200 ? text[..200] : text;
}
