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
/// stops, and final reads on every member wait for convergence. Every operation goes into the history. A soak
/// (<see cref="NemesisKind.Soak"/>) instead runs a fault every 30–60 s until half a minute before the end, and adds
/// the firmware's simulated boards, inference tasks and the processes' memory and descriptors to the load and checks.
/// The nemesis's schedule (one cut, flapping, the soak's faults) is in ExperimentRun.Schedule.cs.
/// </summary>
public sealed partial class ExperimentRun(ExperimentSettings settings, IReadOnlyList<Target> targets, HttpClient http, INemesis nemesis,
    IReadOnlyList<string>? minorityOverride, LabFaults? faults = null, SimulatorLoad? simulator = null, IReadOnlyList<Lab.LabNode>? labNodes = null)
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
        var soak = settings.Nemesis == NemesisKind.Soak;
        var minority = minorityOverride ?? (settings.Nemesis == NemesisKind.Split
            ? targets.Skip((targets.Count + 1) / 2).Select(t => t.Name).ToList()
            : soak ? [] : [targets[^1].Name]);
        var majority = targets.Select(t => t.Name).Except(minority).ToList();
        // Let the registry reach every member before the clock starts.
        await Task.Delay(TimeSpan.FromSeconds(2));
        _clock.Restart();

        Progress($"load on {string.Join(", ", targets.Select(t => t.Name))}");
        using var stop = new CancellationTokenSource();
        var clients = targets.Select((t, i) => ClientAsync(i, t, stop.Token)).ToList();
        var sampler = faults is null ? null : new ProcessSampler(faults.Pids, () => Now, TimeSpan.FromSeconds(5));
        var inference = settings.InferenceRate > 0
            ? new InferenceLoad(http, targets, targets.Select((_, i) => EventualDevice(i)).ToList(), settings.InferenceRate, () => Now)
            : null;
        if (labNodes is not null) simulator?.Start(labNodes, settings.Duration);
        var background = new[] { sampler?.RunAsync(stop.Token), inference?.RunAsync(stop.Token) }.OfType<Task>().ToList();
        var warmup = soak ? Math.Min(20, settings.Duration / 6) : settings.Duration / 6;
        var cut = settings.Duration / 2;
        await Task.Delay(TimeSpan.FromSeconds(warmup));
        if (soak)
        {
            await SoakAsync(settings.Duration - 30);
            // Whatever the last fault left (a heal a member missed), the load ends on a whole network.
            await HealAsync();
        }
        else if (settings.Nemesis == NemesisKind.Flap) await FlapAsync(minority, majority, cut);
        else await CutOnceAsync(minority, majority, cut);
        var healedAt = Now;
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, settings.Duration - Now)));
        stop.Cancel();
        await Task.WhenAll(clients.Concat(background));
        var loadEnd = Now;
        Progress("load stopped; final reads on every member");

        var boards = simulator is null ? [] : await simulator.FinishAsync(TimeSpan.FromSeconds(180));
        var generated = boards.SelectMany(b => b.Generated.SelectMany(d => LongRange(d.Value).Select(seq => (d.Key, seq)))).ToHashSet();
        var final = await ConvergeAsync(generated, TimeSpan.FromSeconds(90));
        var history = _history.OrderBy(o => o.InvokedAt).ToList();
        var verdict = Checker.Check(targets, history, _windows, minority, healedAt, loadEnd, final);
        var soakChecks = SoakChecks.Of(targets, final, boards, inference is null ? null : await inference.SettleAsync(TimeSpan.FromSeconds(90)),
            sampler?.Samples);
        return ExperimentReport.Write(settings, targets, _windows, history, verdict, healedAt, loadEnd, await FinalMembersAsync(), soakChecks,
            sampler?.Samples ?? []);
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (var i = 1L; i <= count; i++) yield return i;
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

    /// <summary>
    /// One reading, as a board sends it. An eventual reading whose answer left it open (a 503 that says "retry with the same
    /// seq", as when the member's actor system stops under it on a downing; a reset connection) is sent again with the same
    /// seq, as the firmware does, up to <see cref="MaxResends"/> times; the op ends with the last answer and counts the
    /// resends. A strong write is sent once: its indeterminate answer is part of what the checker judges.
    /// </summary>
    private async Task WriteAsync(int client, Target target, OpKind kind, int device, long seq)
    {
        var invoked = Now;
        var (outcome, status, error, resent) = await SendAsBoardAsync(kind == OpKind.EventualWrite, () => SendAsync(target, kind, device, seq),
            MaxResends, ResendPause);
        _history.Enqueue(new Op(client, target.Name, kind, device, seq, invoked, Now, outcome, status, error, Resent: resent));
    }

    internal const int MaxResends = 5;
    private static readonly TimeSpan ResendPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Sends once, and while the answer leaves the write open (<see cref="Outcome.Info"/>) and <paramref name="resend"/>
    /// holds, again (the caller sends the same seq), at most <paramref name="maxResends"/> more times,
    /// <paramref name="pause"/> apart. The last answer is the outcome; how many times it was sent again comes with it.
    /// </summary>
    internal static async Task<(Outcome Outcome, int Status, string? Error, int Resent)> SendAsBoardAsync(bool resend,
        Func<Task<(Outcome Outcome, int Status, string? Error)>> send, int maxResends, TimeSpan pause)
    {
        for (var resent = 0; ; resent++)
        {
            var (outcome, status, error) = await send();
            if (outcome != Outcome.Info || !resend || resent == maxResends) return (outcome, status, error, resent);
            await Task.Delay(pause);
        }
    }

    private async Task<(Outcome Outcome, int Status, string? Error)> SendAsync(Target target, OpKind kind, int device, long seq)
    {
        var consistency = kind == OpKind.StrongWrite ? "strong" : "eventual";
        try
        {
            using var response = await http.PostAsJsonAsync($"http://{target.Http}/api/reading?consistency={consistency}",
                new { device_id = device, temperature = 20 + seq % 10, humidity = 50, seq });
            var body = await response.Content.ReadAsStringAsync();
            var outcome = response.IsSuccessStatusCode ? Outcome.Ok
                // Refused before anything was stored: a definite failure. Anything else may have been stored.
                : body.Contains("nothing was stored") || (int)response.StatusCode is 400 or 404 ? Outcome.Fail : Outcome.Info;
            return (outcome, (int)response.StatusCode, response.IsSuccessStatusCode ? null : Short(body));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A refused connection never reached the node; a timeout or a reset may have.
            var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            return (refused ? Outcome.Fail : Outcome.Info, 0, Short(e.Message));
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

    /// <summary>
    /// Final reads: until every member holds every acknowledged write (and every reading the simulated boards
    /// generated) and all hold the same readings, or the time is up.
    /// </summary>
    private async Task<FinalReads> ConvergeAsync(IReadOnlySet<(int Device, long Seq)> generated, TimeSpan within)
    {
        var acked = _history.Where(o => o.Outcome == Outcome.Ok && o.IsWrite).Select(o => (o.Device, o.Seq)).ToHashSet();
        acked.UnionWith(generated);
        var devices = acked.Select(a => a.Device)
            .Concat(targets.SelectMany((_, i) => new[] { EventualDevice(i), StrongDevice(i) }))
            .Concat(simulator?.DeviceIds ?? []).Distinct().ToList();
        var deadline = Now + within.TotalSeconds;
        while (true)
        {
            var reads = new Dictionary<string, HashSet<(int, long)>>();
            var duplicates = new Dictionary<string, int>();
            foreach (var t in targets) (reads[t.Name], duplicates[t.Name]) = await HeldAsync(t, devices);
            var same = reads.Values.All(h => h.SetEquals(reads.Values.First()));
            if (same && reads.Values.All(h => acked.IsSubsetOf(h))) return new FinalReads(reads, Now, duplicates);
            if (Now > deadline) return new FinalReads(reads, null, duplicates);
            await Task.Delay(250);
        }
    }

    /// <summary>The (device, seq) of every reading a member answers for the devices, and how many it answered twice.</summary>
    private async Task<(HashSet<(int, long)> Held, int Duplicates)> HeldAsync(Target t, IEnumerable<int> devices)
    {
        var held = new HashSet<(int, long)>();
        var duplicates = 0;
        try
        {
            foreach (var d in devices)
            {
                var page = await http.GetFromJsonAsync<ReadingsPage>($"http://{t.Http}/api/readings/{d}?limit=10000", ApiJson.Options);
                foreach (var r in page?.Readings ?? [])
                    if (r.Seq is { } s && !held.Add((d, s))) duplicates++;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
        return (held, duplicates);
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
