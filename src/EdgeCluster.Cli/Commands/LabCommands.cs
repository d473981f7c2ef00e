using System.CommandLine;
using System.Text.Json;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl lab up | down | kill | start</c>: node processes on loopback for a laptop lab.</summary>
public static class LabCommands
{
    public static Option<string> Dir(string fallback) => new("--dir")
    {
        Description = $"the lab's folder: its state, each node's data and log (default {fallback})",
        DefaultValueFactory = _ => fallback,
    };

    public static Command Build()
    {
        var upDir = Dir(".edgelab");
        var nodes = CommonOptions.Int("--nodes", 3, 1, 9, "how many nodes");
        var profile = CommonOptions.Choice("--profile", "default, ap or cp (default: default)", "default", "ap", "cp");
        var httpPort = CommonOptions.Int("--http-port", 5000, 0, 65000, "the first node's HTTP port; the others count up; 0: ports the OS chooses");
        var akkaPort = CommonOptions.Int("--akka-port", 4053, 0, 65000, "the first node's Akka port; the others count up; 0: ports the OS chooses");
        var nodeArgs = new Option<string?>("--node-args") { Description = "more switches for every node, in one string, like \"--replication-interval-ms 200\"" };
        var downDir = Dir(".edgelab");
        var purge = new Option<bool>("--purge") { Description = "also remove the lab's folder (data and logs)" };

        var up = new Command("up", "start the nodes, each with its own data folder and log, and wait until all are members")
            .With(nodes, profile, upDir, httpPort, akkaPort, nodeArgs);
        up.SetAction(async p =>
        {
            var count = p.GetValue(nodes);
            var chosen = p.GetValue(profile) ?? "default";
            var state = await Lab.UpAsync(Path.GetFullPath(p.GetValue(upDir)!), count, chosen, p.GetValue(httpPort), p.GetValue(akkaPort),
                p.GetValue(nodeArgs)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? []);
            if (p.GetValue(CommonOptions.Json)) Output.Out.WriteLine(JsonSerializer.Serialize(state, Output.Json));
            else
            {
                Output.Table(["NODE", "HTTP", "AKKA", "PID", "DATA", "LOG"], state.Nodes.Select(n => (IReadOnlyList<string?>)
                    [n.Name, n.Http, $"127.0.0.1:{n.AkkaPort}", n.Pid.ToString(), n.DataDir, n.Log]));
                Output.Out.WriteLine($"lab of {count} up (profile {chosen}); try: edgectl {state.Nodes[0].Http} cluster show");
            }
            return 0;
        });

        var down = new Command("down", "stop the lab's nodes (SIGTERM); their data stays unless --purge").With(downDir, purge);
        down.SetAction(async p =>
        {
            var dir = Path.GetFullPath(p.GetValue(downDir)!);
            var stopped = await Lab.DownAsync(dir, p.GetValue(purge));
            Output.Out.WriteLine(stopped == 0 ? "no lab running" : $"stopped {stopped} nodes" + (p.GetValue(purge) ? $", removed {dir}" : $"; their data stays in {dir}"));
            return 0;
        });

        var killDir = Dir(".edgelab");
        var killName = new Argument<string>("node") { Description = "the node's name, like n2" };
        var signal = CommonOptions.Choice("--signal", "kill (default: the power cord pulled), term (a clean stop), stop (paused) or cont (resumed)",
            "kill", "term", "stop", "cont");
        var kill = new Command("kill", "signal one node of the lab: SIGKILL by default, as if its Pi lost power").With(killName, signal, killDir);
        kill.SetAction(async p =>
        {
            var chosen = (p.GetValue(signal) ?? "kill").ToUpperInvariant();
            var node = await Lab.SignalAsync(Path.GetFullPath(p.GetValue(killDir)!), p.GetValue(killName)!, chosen);
            Output.Out.WriteLine($"{node.Name} (pid {node.Pid}): SIG{chosen} sent" + (chosen is "KILL" or "TERM" ? "; it stopped" : ""));
            return 0;
        });

        var startDir = Dir(".edgelab");
        var startName = new Argument<string>("node") { Description = "the node's name, like n2" };
        var start = new Command("start", "start a stopped node of the lab again, with its data, ports and switches").With(startName, startDir);
        start.SetAction(async p =>
        {
            var node = await Lab.StartAsync(Path.GetFullPath(p.GetValue(startDir)!), p.GetValue(startName)!);
            Output.Out.WriteLine($"{node.Name} started again (pid {node.Pid}), answering on {node.Http}");
            return 0;
        });

        return new Command("lab", "a lab of node processes on this machine").With(up, down, kill, start);
    }
}
