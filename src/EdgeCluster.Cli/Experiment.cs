using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli;

/// <summary>
/// `edgectl experiment`: a partition experiment in the spirit of Jepsen. Load on every member (eventual and strong
/// readings, strong reads), a nemesis (isolate one member, split the cluster in halves, or flap), heal, then final
/// reads on every member. Every operation is recorded as invoked and then ok, fail or info (indeterminate); a
/// checker turns the history into a report (markdown, JSON and an SVG plot) and the exit code.
/// </summary>
public static class Experiment
{
    public enum Outcome { Ok, Fail, Info }

    public sealed record Op(int Client, string Member, string Kind, int Device, long Seq, double InvokedAt, double CompletedAt,
        Outcome Outcome, int Status, string? Error, int? ReadCount = null);

    public sealed record Target(string Name, string Http);

    public sealed record Window(double From, double To, IReadOnlyList<string> Minority, string Action);

    public sealed record Settings(string Profile, string Nemesis, double Duration, int Rate, int StrongEvery, string Out,
        string? NemesisCommand, string? HealCommand);

    public static async Task<int> RunAsync(Args args)
    {
        var settings = new Settings(
            Profile: args.Option("--profile") ?? "ap",
            Nemesis: args.Option("--nemesis") ?? "isolate",
            Duration: args.SecondsOption("--duration", 30),
            Rate: args.IntOption("--rate", 20, 1, 1000),
            StrongEvery: args.IntOption("--strong-every", 5, 1, 1000),
            Out: Path.GetFullPath(args.Option("--out") ?? "experiment-report"),
            NemesisCommand: args.Option("--nemesis-command"),
            HealCommand: args.Option("--heal-command"));
        if (settings.Nemesis is not ("isolate" or "split" or "flap" or "command"))
            throw CliException.Usage($"--nemesis '{settings.Nemesis}' must be isolate, split, flap or command");
        if (settings.Nemesis == "command" && (settings.NemesisCommand is null || settings.HealCommand is null))
            throw CliException.Usage("--nemesis command needs --nemesis-command and --heal-command");
        if (settings.Duration < 6) throw CliException.Usage("--duration must be at least 6 seconds");
        var targetsText = args.Option("--targets");
        var minorityText = args.Option("--minority");
        var nodes = args.IntOption("--nodes", 3, 3, 9);
        var dir = Path.GetFullPath(args.Option("--dir") ?? ".edgelab-experiment");
        var httpPort = args.IntOption("--http-port", 5100, 1, 65000);
        var akkaPort = args.IntOption("--akka-port", 4153, 1, 65000);
        var token = args.Option("--token") ?? Environment.GetEnvironmentVariable("EDGE_ADMIN_TOKEN");
        var keep = args.Flag("--keep");
        args.NoOthers();

        var ownLab = targetsText is null;
        if (ownLab)
        {
            Output.Out.WriteLine($"starting a lab of {nodes} (profile {settings.Profile}) in {dir}");
            await Lab.UpAsync(dir, nodes, settings.Profile, httpPort, akkaPort, []);
        }
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var targets = ownLab
                ? Lab.Load(dir).Nodes.Select(n => new Target(n.Name, n.Http)).ToList()
                : await NamedTargetsAsync(http, targetsText!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            var minority = minorityText?.Split(',').ToList();
            var report = await new Run(settings, targets, http, minority).ExecuteAsync();
            Directory.CreateDirectory(settings.Out);
            await File.WriteAllTextAsync(Path.Combine(settings.Out, "report.json"), report.Json.ToJsonString(Output.Json));
            await File.WriteAllTextAsync(Path.Combine(settings.Out, "report.md"), report.Markdown);
            await File.WriteAllTextAsync(Path.Combine(settings.Out, "availability.svg"), report.Svg);
            await File.WriteAllLinesAsync(Path.Combine(settings.Out, "history.jsonl"),
                report.History.Select(o => JsonSerializer.Serialize(o, Output.Json).ReplaceLineEndings("")));
            Output.Out.WriteLine(report.Markdown);
            Output.Out.WriteLine($"report: {settings.Out}/report.md, report.json, availability.svg, history.jsonl");
            return report.Passed ? 0 : 1;
        }
        finally
        {
            // --keep leaves the nodes' data folders and logs for a look afterwards.
            if (ownLab) await Lab.DownAsync(dir, purge: !keep);
        }
    }

    private static async Task<List<Target>> NamedTargetsAsync(HttpClient http, IEnumerable<string> targets)
    {
        var list = new List<Target>();
        foreach (var t in targets)
        {
            var health = await http.GetFromJsonAsync<JsonNode>($"http://{t}/api/health")
                         ?? throw new CliException($"{t} gave no health answer");
            list.Add(new Target(Output.Text(health["node"]) ?? t, t));
        }
        return list;
    }

    private sealed class Run(Settings settings, IReadOnlyList<Target> targets, HttpClient http, IReadOnlyList<string>? minorityOverride)
    {
        private readonly ConcurrentQueue<Op> _history = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<Window> _windows = new();
        private double Now => _clock.Elapsed.TotalSeconds;

        public async Task<Report> ExecuteAsync()
        {
            foreach (var t in targets.Select((t, i) => (t, i)))
            {
                await RegisterAsync(targets[0], 1000 + t.i);
                await RegisterAsync(targets[0], 2000 + t.i);
            }
            var minority = minorityOverride ?? (settings.Nemesis == "split"
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

            if (settings.Nemesis == "flap")
            {
                var until = Now + cut;
                while (Now < until)
                {
                    await IsolateAsync(minority, majority);
                    var start = Now;
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, Math.Min(4, until - Now))));
                    _windows.Add(new Window(start, Now, minority, "isolate (flap)"));
                    await HealAsync();
                    if (Now < until) await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, until - Now)));
                }
            }
            else
            {
                await IsolateAsync(minority, majority);
                var from = Now;
                await Task.Delay(TimeSpan.FromSeconds(cut));
                _windows.Add(new Window(from, Now, minority, settings.Nemesis == "split" ? "split" : settings.Nemesis == "command" ? "command" : "isolate"));
                await HealAsync();
            }
            var healedAt = Now;
            await Task.Delay(TimeSpan.FromSeconds(settings.Duration - warmup - cut));
            stop.Cancel();
            await Task.WhenAll(clients);
            var loadEnd = Now;
            Progress("load stopped; final reads on every member");

            var (converged, convergedAt, finalReads) = await ConvergeAsync(TimeSpan.FromSeconds(90));
            var report = Checker.Check(settings, targets, _history.OrderBy(o => o.InvokedAt).ToList(), _windows, minority,
                healedAt, loadEnd, converged ? convergedAt : null, finalReads);
            var final = await FinalMembersAsync();
            report.Json["final_members"] = final;
            var line = "Members at the end: " + string.Join(", ", final.Select(m =>
                $"{Output.Text(m!["name"])} {Output.Text(m["member"]) ?? "unknown"} (actor system {Output.Text(m["incarnation"]) ?? "?"}{(m["incarnation"]?.GetValue<int>() > 1 ? ": downed and rejoined" : "")})"));
            return report with { Markdown = report.Markdown.Replace("![availability]", line + "\n\n![availability]") };
        }

        /// <summary>Each member at the end: its membership status and how many actor systems it has run (2+ = downed and rejoined).</summary>
        private async Task<JsonArray> FinalMembersAsync()
        {
            var rows = new JsonArray();
            foreach (var t in targets)
            {
                var row = new JsonObject { ["name"] = t.Name };
                try
                {
                    var health = await http.GetFromJsonAsync<JsonNode>($"http://{t.Http}/api/health");
                    row["member"] = Output.Text(health?["member"]);
                    var links = await http.GetFromJsonAsync<JsonNode>($"http://{t.Http}/api/admin/links");
                    row["incarnation"] = links?["incarnation"]?.GetValue<int>();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                {
                    row["error"] = e.Message;
                }
                rows.Add(row);
            }
            return rows;
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

        private async Task IsolateAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority)
        {
            Progress($"cut: {string.Join(",", minority)} | {string.Join(",", majority)}");
            if (settings.Nemesis == "command") { await ShellAsync(settings.NemesisCommand!); return; }
            // Asked of a majority member; the management API fans the cut out to both sides.
            var coordinator = targets.First(t => majority.Contains(t.Name));
            var response = await http.PostAsJsonAsync($"http://{coordinator.Http}/api/admin/partition/split",
                new { groups = new[] { majority, minority } });
            if (!response.IsSuccessStatusCode)
                throw new CliException($"the nemesis could not cut the network: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        private async Task HealAsync()
        {
            Progress("heal");
            if (settings.Nemesis == "command") { await ShellAsync(settings.HealCommand!); return; }
            foreach (var t in targets)
            {
                try
                {
                    var response = await http.PostAsync($"http://{t.Http}/api/admin/partition/heal", null);
                    if (response.IsSuccessStatusCode) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
            throw new CliException("no member healed the partition; heal by hand: edgectl <member> partition heal");
        }

        private static async Task ShellAsync(string command)
        {
            using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { UseShellExecute = false })
                ?? throw new CliException($"could not run '{command}'");
            await p.WaitForExitAsync();
            if (p.ExitCode != 0) throw new CliException($"'{command}' failed with exit code {p.ExitCode}");
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
            var slow = (double)settings.Rate / settings.StrongEvery;
            return Task.WhenAll(
                PacedAsync(settings.Rate, () => WriteAsync(index, target, "eventual", 1000 + index, ++eventualSeq), stop),
                PacedAsync(slow, () => WriteAsync(index, target, "strong", 2000 + index, ++strongSeq), stop),
                PacedAsync(slow, () => StrongReadAsync(index, target, 2000 + (index + 1) % targets.Count), stop));
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

        private async Task WriteAsync(int client, Target target, string kind, int device, long seq)
        {
            var invoked = Now;
            try
            {
                using var response = await http.PostAsJsonAsync($"http://{target.Http}/api/reading?consistency={kind}",
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
                int? count = response.IsSuccessStatusCode ? JsonNode.Parse(body)?["count"]?.GetValue<int>() : null;
                _history.Enqueue(new Op(client, target.Name, "strong-read", device, 0, invoked, Now,
                    response.IsSuccessStatusCode ? Outcome.Ok : Outcome.Fail, (int)response.StatusCode, response.IsSuccessStatusCode ? null : Short(body), count));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _history.Enqueue(new Op(client, target.Name, "strong-read", device, 0, invoked, Now, Outcome.Fail, 0, Short(e.Message)));
            }
        }

        /// <summary>Final reads: until every member holds every acknowledged write, or the time is up.</summary>
        private async Task<(bool, double, Dictionary<string, HashSet<(int, long)>>)> ConvergeAsync(TimeSpan within)
        {
            var acked = _history.Where(o => o.Outcome == Outcome.Ok && o.Kind != "strong-read").Select(o => (o.Device, o.Seq)).ToHashSet();
            var devices = acked.Select(a => a.Device).Concat(targets.SelectMany((_, i) => new[] { 1000 + i, 2000 + i })).Distinct().ToList();
            var deadline = Now + within.TotalSeconds;
            var reads = new Dictionary<string, HashSet<(int, long)>>();
            while (true)
            {
                reads.Clear();
                foreach (var t in targets)
                {
                    var held = new HashSet<(int, long)>();
                    try
                    {
                        foreach (var d in devices)
                        {
                            var page = await http.GetFromJsonAsync<JsonNode>($"http://{t.Http}/api/readings/{d}?limit=10000");
                            foreach (var r in page?["readings"]?.AsArray() ?? [])
                                if (r?["seq"] is { } s) held.Add((d, s.GetValue<long>()));
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
                    reads[t.Name] = held;
                }
                if (reads.Values.All(h => acked.IsSubsetOf(h))) return (true, Now, reads);
                if (Now > deadline) return (false, Now, reads);
                await Task.Delay(250);
            }
        }

        private static string Short(string text) => text.Length > 200 ? text[..200] : text;
    }

    public sealed record Report(bool Passed, JsonObject Json, string Markdown, string Svg, IReadOnlyList<Op> History);

    /// <summary>Turns a history into verdicts: lost acknowledged writes, strong writes acknowledged on a minority, stale strong reads.</summary>
    public static class Checker
    {
        public const double Transition = 1.0;

        public static Report Check(Settings settings, IReadOnlyList<Target> targets, IReadOnlyList<Op> history, IReadOnlyList<Window> windows,
            IReadOnlyList<string> minority, double healedAt, double loadEnd, double? convergedAt, Dictionary<string, HashSet<(int, long)>> finalReads)
        {
            var writes = history.Where(o => o.Kind != "strong-read").ToList();
            var acked = writes.Where(o => o.Outcome == Outcome.Ok).ToList();
            var lostPerMember = targets.ToDictionary(t => t.Name, t =>
                acked.Where(o => !finalReads.GetValueOrDefault(t.Name, []).Contains((o.Device, o.Seq))).ToList());
            var lostEventual = lostPerMember.Values.Sum(l => l.Count(o => o.Kind == "eventual"));
            var lostStrong = lostPerMember.Values.Sum(l => l.Count(o => o.Kind == "strong"));
            // A strong write acknowledged by a member cut off from the majority, invoked and answered while the cut held.
            // The first second after the nemesis answered is its transition: links already carrying messages can
            // deliver for a moment longer (measured up to ~150 ms with the throttler), so operations invoked then are
            // concurrent with the nemesis, as Jepsen counts them, and reported apart.
            var strongOnMinority = acked.Where(o => o.Kind == "strong" && windows.Any(w =>
                w.Minority.Contains(o.Member) && o.InvokedAt >= w.From + Transition && o.CompletedAt <= w.To)).ToList();
            var strongInTransition = acked.Count(o => o.Kind == "strong" && windows.Any(w =>
                w.Minority.Contains(o.Member) && o.InvokedAt >= w.From && o.InvokedAt < w.From + Transition));
            // A strong read is stale if it saw fewer readings than strong writes of that device acknowledged before it began.
            var stale = history.Where(o => o.Kind == "strong-read" && o.Outcome == Outcome.Ok && o.ReadCount is { } seen &&
                seen < acked.Count(w => w.Kind == "strong" && w.Device == o.Device && w.CompletedAt < o.InvokedAt)).ToList();
            var passed = lostEventual == 0 && lostStrong == 0 && strongOnMinority.Count == 0 && convergedAt is not null;

            var seconds = (int)Math.Ceiling(loadEnd);
            // Share of the chosen writes acknowledged in each second of the run; null for a second without any.
            List<double?> PerSecond(Func<Op, bool> chosen) => Enumerable.Range(0, seconds).Select(s =>
            {
                var ops = writes.Where(o => chosen(o) && o.InvokedAt >= s && o.InvokedAt < s + 1).ToList();
                return ops.Count == 0 ? (double?)null : ops.Count(o => o.Outcome == Outcome.Ok) / (double)ops.Count;
            }).ToList();
            var availability = targets.ToDictionary(t => t.Name, t => PerSecond(o => o.Member == t.Name && o.Kind == "eventual"));
            var strongAvailability = targets.ToDictionary(t => t.Name, t => PerSecond(o => o.Member == t.Name && o.Kind == "strong"));
            var sides = new Dictionary<string, IReadOnlyList<string>>
            {
                ["minority"] = minority,
                ["majority"] = targets.Select(t => t.Name).Except(minority).ToList(),
            };
            var sideAvailability = sides.ToDictionary(kv => kv.Key, kv => PerSecond(o => kv.Value.Contains(o.Member)));

            JsonObject Counts(IEnumerable<Op> ops) => new()
            {
                ["invoked"] = ops.Count(),
                ["ok"] = ops.Count(o => o.Outcome == Outcome.Ok),
                ["fail"] = ops.Count(o => o.Outcome == Outcome.Fail),
                ["info"] = ops.Count(o => o.Outcome == Outcome.Info),
            };
            var phases = new (string Name, Func<Op, bool> In)[]
            {
                ("before", o => windows.Count == 0 || o.InvokedAt < windows[0].From),
                ("partitioned", o => windows.Any(w => o.InvokedAt >= w.From && o.InvokedAt < w.To)),
                ("after heal", o => o.InvokedAt >= healedAt),
            };
            var perSide = new JsonObject();
            foreach (var (side, members) in sides)
            {
                var sideOps = new JsonObject();
                foreach (var (name, inPhase) in phases)
                    sideOps[name] = new JsonObject
                    {
                        ["eventual"] = Counts(writes.Where(o => members.Contains(o.Member) && o.Kind == "eventual" && inPhase(o))),
                        ["strong"] = Counts(writes.Where(o => members.Contains(o.Member) && o.Kind == "strong" && inPhase(o))),
                    };
                perSide[side] = new JsonObject { ["members"] = new JsonArray(members.Select(m => (JsonNode?)m).ToArray()), ["phases"] = sideOps };
            }

            var json = new JsonObject
            {
                ["profile"] = settings.Profile,
                ["nemesis"] = settings.Nemesis,
                ["duration_s"] = settings.Duration,
                ["members"] = new JsonArray(targets.Select(t => (JsonNode?)new JsonObject { ["name"] = t.Name, ["http"] = t.Http }).ToArray()),
                ["windows"] = new JsonArray(windows.Select(w => (JsonNode?)new JsonObject
                    { ["from_s"] = Math.Round(w.From, 2), ["to_s"] = Math.Round(w.To, 2), ["action"] = w.Action, ["minority"] = string.Join(",", w.Minority) }).ToArray()),
                ["operations"] = Counts(history),
                ["eventual"] = new JsonObject
                {
                    ["acknowledged"] = acked.Count(o => o.Kind == "eventual"),
                    ["lost_after_heal"] = lostEventual,
                    ["lost_per_member"] = new JsonObject(lostPerMember.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.Count))),
                    ["convergence_s"] = convergedAt is null ? null : Math.Round(convergedAt.Value - loadEnd, 2),
                    ["heal_to_convergence_s"] = convergedAt is null ? null : Math.Round(convergedAt.Value - healedAt, 2),
                },
                ["strong"] = new JsonObject
                {
                    ["acknowledged"] = acked.Count(o => o.Kind == "strong"),
                    ["lost"] = lostStrong,
                    ["acknowledged_on_minority"] = strongOnMinority.Count,
                    ["acknowledged_on_minority_in_transition"] = strongInTransition,
                    ["reads"] = history.Count(o => o.Kind == "strong-read" && o.Outcome == Outcome.Ok),
                    ["stale_reads"] = stale.Count,
                },
                ["sides"] = perSide,
                ["availability_per_second"] = Series(availability),
                // Share of all writes (eventual and strong) acknowledged per second on each side of the cut.
                ["availability_per_side_per_second"] = Series(sideAvailability),
                ["passed"] = passed,
            };

            var md = new StringBuilder();
            md.AppendLine($"# Partition experiment: profile {settings.Profile}, nemesis {settings.Nemesis}");
            md.AppendLine();
            md.AppendLine($"{targets.Count} members ({string.Join(", ", targets.Select(t => t.Name))}), {settings.Duration:0} s of load per member: {settings.Rate} eventual readings/s, {(double)settings.Rate / settings.StrongEvery:0.#} strong readings/s and {(double)settings.Rate / settings.StrongEvery:0.#} strong reads/s, each client waiting for its answers.");
            foreach (var w in windows) md.AppendLine($"- {w.Action}: {string.Join(",", w.Minority)} cut off from {w.From:0.0} s to {w.To:0.0} s");
            md.AppendLine();
            md.AppendLine("| check | result |");
            md.AppendLine("|---|---|");
            md.AppendLine($"| acknowledged eventual readings lost after heal (all members) | {lostEventual} of {acked.Count(o => o.Kind == "eventual")} |");
            md.AppendLine($"| acknowledged strong readings lost | {lostStrong} of {acked.Count(o => o.Kind == "strong")} |");
            md.AppendLine($"| strong writes acknowledged on a minority | {strongOnMinority.Count} (and {strongInTransition} in the {Transition:0} s after the cut, concurrent with it) |");
            md.AppendLine($"| stale strong reads | {stale.Count} of {history.Count(o => o.Kind == "strong-read" && o.Outcome == Outcome.Ok)} |");
            md.AppendLine($"| convergence after the load stopped | {(convergedAt is null ? "not within 90 s" : $"{convergedAt - loadEnd:0.00} s ({convergedAt - healedAt:0.00} s after heal)")} |");
            md.AppendLine($"| verdict | {(passed ? "PASS" : "FAIL")} |");
            md.AppendLine();
            md.AppendLine("Writes per side and phase (ok / fail / indeterminate of invoked):");
            md.AppendLine();
            md.AppendLine("| side | phase | eventual | strong |");
            md.AppendLine("|---|---|---|---|");
            foreach (var (side, node) in perSide)
                foreach (var (phase, counts) in node!["phases"]!.AsObject())
                    md.AppendLine($"| {side} | {phase} | {Fmt(counts!["eventual"]!)} | {Fmt(counts["strong"]!)} |");
            md.AppendLine();
            md.AppendLine("![availability](availability.svg)");
            return new Report(passed, json, md.ToString(), Svg(availability, strongAvailability, windows, seconds), history);
        }

        private static JsonObject Series(Dictionary<string, List<double?>> series) =>
            new(series.Select(kv => KeyValuePair.Create(kv.Key,
                (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode?)(v is null ? null : JsonValue.Create(Math.Round(v.Value, 3)))).ToArray()))));

        private static string Fmt(JsonNode c) => $"{c["ok"]} / {c["fail"]} / {c["info"]} of {c["invoked"]}";

        /// <summary>Share of eventual (solid) and strong (dashed) writes acknowledged per second and member; the cut is shaded.</summary>
        private static string Svg(Dictionary<string, List<double?>> eventual, Dictionary<string, List<double?>> strong, IReadOnlyList<Window> windows, int seconds)
        {
            const int w = 760, h = 300, left = 50, right = 130, top = 20, bottom = 40;
            var plotW = w - left - right;
            var plotH = h - top - bottom;
            double X(double s) => left + s / Math.Max(1, seconds) * plotW;
            double Y(double v) => top + (1 - v) * plotH;
            string[] colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];
            var svg = new StringBuilder();
            var inv = CultureInfo.InvariantCulture;
            svg.AppendLine(FormattableString.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">"));
            svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
            foreach (var win in windows)
                svg.AppendLine(FormattableString.Invariant($"<rect x=\"{X(win.From):0.0}\" y=\"{top}\" width=\"{X(win.To) - X(win.From):0.0}\" height=\"{plotH}\" fill=\"#eee\"/>"));
            svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
            svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
            foreach (var v in new[] { 0.0, 0.5, 1.0 })
                svg.AppendLine(FormattableString.Invariant($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v * 100:0}%</text>"));
            for (var s = 0; s <= seconds; s += Math.Max(1, seconds / 10))
                svg.AppendLine(FormattableString.Invariant($"<text x=\"{X(s):0.0}\" y=\"{top + plotH + 15}\" text-anchor=\"middle\">{s}s</text>"));
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW / 2}\" y=\"{h - 5}\" text-anchor=\"middle\">writes acknowledged per second (solid eventual, dashed strong; shaded: partition)</text>"));
            var i = 0;
            foreach (var (member, series) in eventual)
            {
                var color = colors[i % colors.Length];
                foreach (var (values, dash) in new[] { (series, ""), (strong[member], " stroke-dasharray=\"4 3\"") })
                {
                    var points = string.Join(" ", values.Select((v, s) => v is null ? null : string.Format(inv, "{0:0.0},{1:0.0}", X(s + 0.5), Y(v.Value))).Where(p => p is not null));
                    if (points.Length > 0) svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} points=\"{points}\"/>");
                }
                svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW + 10}\" y=\"{top + 15 + i * 15}\" fill=\"{color}\">{WebUtility.HtmlEncode(member)}</text>"));
                i++;
            }
            svg.AppendLine("</svg>");
            return svg.ToString();
        }
    }
}
