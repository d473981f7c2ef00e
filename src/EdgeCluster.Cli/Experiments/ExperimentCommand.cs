using EdgeCluster.Contracts;
using System.CommandLine;
using System.Net.Http.Json;
using EdgeCluster.Cli.Commands;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli.Experiments;

/// <summary>
/// `edgectl experiment`: a partition experiment in the spirit of Jepsen, on a lab it starts or on members it is
/// given. It runs the schedule, hands the history to the checker, writes the report (markdown, JSON, an SVG plot
/// and the history) and exits 1 when a check failed.
/// </summary>
public static class ExperimentCommand
{
    public static Command Build()
    {
        var profile = CommonOptions.Choice("--profile", "the lab's profile: default, ap (default) or cp", "default", "ap", "cp");
        var nemesis = CommonOptions.Choice("--nemesis",
            "isolate (default), split, flap, command (--nemesis-command / --heal-command), or soak (every fault in turn, a lab of its own for the process faults)",
            "isolate", "split", "flap", "command", "soak");
        var duration = CommonOptions.Seconds("--duration", 30, "seconds of load; the cut holds for half of it (at least 6)");
        var rate = CommonOptions.Int("--rate", 20, 1, 1000, "eventual readings per second and member");
        var strongEvery = CommonOptions.Int("--strong-every", 5, 1, 1000, "strong readings and strong reads at 1/N of --rate");
        var output = new Option<string>("--out") { Description = "where the report goes (default experiment-report)", DefaultValueFactory = _ => "experiment-report" };
        var nemesisCommand = new Option<string?>("--nemesis-command") { Description = "shell command that cuts the network (--nemesis command)" };
        var healCommand = new Option<string?>("--heal-command") { Description = "shell command that heals it (--nemesis command)" };
        var targets = new Option<string?>("--targets") { Description = "members already running, host:port,...; without it the experiment starts its own lab" };
        var minority = new Option<string?>("--minority") { Description = "node names to cut off, n3,...; default: the last member (isolate) or the smaller half (split)" };
        var nodes = CommonOptions.Int("--nodes", 3, 3, 9, "members of the lab it starts");
        var dir = LabCommands.Dir(".edgelab-experiment");
        var httpPort = CommonOptions.Int("--http-port", 5100, 0, 65000, "the first lab node's HTTP port (0: ports the OS chooses)");
        var akkaPort = CommonOptions.Int("--akka-port", 4153, 0, 65000, "the first lab node's Akka port (0: ports the OS chooses)");
        var keep = new Option<bool>("--keep") { Description = "keep the lab's data folders and logs afterwards" };
        var mqttPort = CommonOptions.Int("--mqtt-port", 1983, 0, 65000, "the first lab node's MQTT port (0: no MQTT)");
        var faultEvery = new Option<string>("--fault-every")
        {
            Description = "soak: seconds between the starts of two faults, a range (default 30-60)",
            DefaultValueFactory = _ => "30-60",
        };
        var faultHold = CommonOptions.Seconds("--fault-hold", 10, "soak: how long a cut, a kill or a pause holds");
        var seed = CommonOptions.Int("--seed", 1, 0, int.MaxValue, "soak: the seed of the fault schedule (the same seed, the same faults)");
        var inferenceRate = CommonOptions.Seconds("--inference-rate", 0, "inference tasks submitted per second (soak default 0.5)");
        var sim = new Option<string?>("--sim") { Description = "soak: the firmware's edge-sim binary; its boards post over HTTP and MQTT through the run" };
        var simRate = CommonOptions.Seconds("--sim-rate", 1, "soak: readings per second of each of the simulator's boards");

        var command = new Command("experiment", "a partition experiment: load on every member, a nemesis, heal, final reads, a checker's verdict (exit 1 when a check fails)")
            .With(profile, nemesis, duration, rate, strongEvery, output, nemesisCommand, healCommand, targets, minority, nodes, dir, httpPort, akkaPort, keep,
                mqttPort, faultEvery, faultHold, seed, inferenceRate, sim, simRate);
        command.Validators.Add(r =>
        {
            if (r.GetValue(duration) < 6) r.AddError("--duration must be at least 6 seconds");
            // The final reads take one page (10,000 readings) per device.
            if (r.GetValue(duration) * r.GetValue(rate) > 9_000) r.AddError("--rate × --duration must stay under 9,000 readings per device");
            if (FaultRange(r.GetValue(faultEvery)) is null) r.AddError("--fault-every must be a range of seconds like 30-60");
            if (r.GetValue(sim) is { } path && !File.Exists(path)) r.AddError($"--sim: no such file {path} (build the firmware: cmake -S firmware -B firmware/build && cmake --build firmware/build)");
            if (r.GetValue(nemesis) == "command" && (r.GetValue(nemesisCommand) is null || r.GetValue(healCommand) is null))
                r.AddError("--nemesis command needs --nemesis-command and --heal-command");
        });
        command.SetAction(p => RunAsync(
            new ExperimentSettings(
                FaultEveryMin: FaultRange(p.GetValue(faultEvery))!.Value.Min,
                FaultEveryMax: FaultRange(p.GetValue(faultEvery))!.Value.Max,
                FaultHold: p.GetValue(faultHold),
                Seed: p.GetValue(seed),
                InferenceRate: p.GetValue(inferenceRate) is > 0 and var ir ? ir : p.GetValue(nemesis) == "soak" ? 0.5 : 0,
                Profile: p.GetValue(profile) ?? "ap",
                Nemesis: NemesisKinds.Parse(p.GetValue(nemesis) ?? "isolate"),
                Duration: p.GetValue(duration),
                Rate: p.GetValue(rate),
                StrongEvery: p.GetValue(strongEvery),
                Out: Path.GetFullPath(p.GetValue(output)!),
                NemesisCommand: p.GetValue(nemesisCommand),
                HealCommand: p.GetValue(healCommand)),
            p.GetValue(targets), p.GetValue(minority), p.GetValue(nodes), Path.GetFullPath(p.GetValue(dir)!), p.GetValue(httpPort),
            p.GetValue(akkaPort), p.GetValue(mqttPort), p.GetValue(CommonOptions.Token) ?? Environment.GetEnvironmentVariable("EDGE_ADMIN_TOKEN"),
            p.GetValue(keep), p.GetValue(sim), p.GetValue(simRate)));
        return command;
    }

    private static (double Min, double Max)? FaultRange(string? text)
    {
        if (string.IsNullOrEmpty(text)) return (30, 60); // not given: the default
        var parts = text.Split('-');
        return parts.Length == 2 && double.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var min)
            && double.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out var max) && min > 0 && max >= min
            ? (min, max) : null;
    }

    private static async Task<int> RunAsync(ExperimentSettings settings, string? targetsText, string? minorityText, int nodes, string dir,
        int httpPort, int akkaPort, int mqttPort, string? token, bool keep, string? simulatorPath, double simRate)
    {
        var ownLab = targetsText is null;
        if (ownLab)
        {
            Output.Out.WriteLine($"starting a lab of {nodes} (profile {settings.Profile}) in {dir}");
            // A lab that did not come up whole is stopped: left running, its nodes would answer on the ports of the next run.
            await Lab.UpAsync(dir, nodes, settings.Profile, httpPort, akkaPort, [], mqttPort, stopOnFailure: true);
        }
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var targets = ownLab
                ? Lab.Load(dir).Nodes.Select(n => new Target(n.Name, n.Http)).ToList()
                : await NamedTargetsAsync(http, targetsText!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            INemesis nemesis = settings.Nemesis == NemesisKind.Command
                ? new CommandNemesis(settings.NemesisCommand!, settings.HealCommand!)
                : new AdminApiNemesis(http, targets);
            var soak = settings.Nemesis == NemesisKind.Soak;
            var faults = ownLab && soak ? new LabFaults(dir, http, TimeSpan.FromSeconds(settings.FaultHold)) : null;
            var simulator = ownLab && simulatorPath is not null ? new SimulatorLoad(Path.GetFullPath(simulatorPath), Path.Combine(settings.Out, "sim"), simRate) : null;
            var report = await new ExperimentRun(settings, targets, http, nemesis, minorityText?.Split(',').ToList(), faults, simulator,
                ownLab ? Lab.Load(dir).Nodes : null).ExecuteAsync();
            await SaveAsync(settings.Out, report);
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

    private static async Task SaveAsync(string dir, Report report)
    {
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "report.json"), report.Json.ToJsonString(Output.Json));
        await File.WriteAllTextAsync(Path.Combine(dir, "report.md"), report.Markdown);
        await File.WriteAllTextAsync(Path.Combine(dir, "availability.svg"), report.Svg);
        if (report.ResourcesSvg is not null) await File.WriteAllTextAsync(Path.Combine(dir, "resources.svg"), report.ResourcesSvg);
        await File.WriteAllLinesAsync(Path.Combine(dir, "history.jsonl"),
            report.History.Select(o => JsonSerializer.Serialize(o, Output.Json).ReplaceLineEndings("")));
    }

    private static async Task<List<Target>> NamedTargetsAsync(HttpClient http, IEnumerable<string> targets)
    {
        var list = new List<Target>();
        foreach (var t in targets)
        {
            var health = await http.GetFromJsonAsync<HealthView>($"http://{t}/api/health", ApiJson.Options)
                         ?? throw new CliException($"{t} gave no health answer");
            list.Add(new Target(health.Node, t));
        }
        return list;
    }
}
