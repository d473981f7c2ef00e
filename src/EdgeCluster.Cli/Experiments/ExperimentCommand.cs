using System.Net.Http.Json;
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
    public static async Task<int> RunAsync(Args args)
    {
        var nemesisKind = NemesisKinds.Parse(args.Option("--nemesis") ?? "isolate");
        var settings = new ExperimentSettings(
            Profile: args.Option("--profile") ?? "ap",
            Nemesis: nemesisKind,
            Duration: args.SecondsOption("--duration", 30),
            Rate: args.IntOption("--rate", 20, 1, 1000),
            StrongEvery: args.IntOption("--strong-every", 5, 1, 1000),
            Out: Path.GetFullPath(args.Option("--out") ?? "experiment-report"),
            NemesisCommand: args.Option("--nemesis-command"),
            HealCommand: args.Option("--heal-command"));
        if (settings.Nemesis == NemesisKind.Command && (settings.NemesisCommand is null || settings.HealCommand is null))
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
            INemesis nemesis = settings.Nemesis == NemesisKind.Command
                ? new CommandNemesis(settings.NemesisCommand!, settings.HealCommand!)
                : new AdminApiNemesis(http, targets);
            var report = await new ExperimentRun(settings, targets, http, nemesis, minorityText?.Split(',').ToList()).ExecuteAsync();
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
        await File.WriteAllLinesAsync(Path.Combine(dir, "history.jsonl"),
            report.History.Select(o => JsonSerializer.Serialize(o, Output.Json).ReplaceLineEndings("")));
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
}
