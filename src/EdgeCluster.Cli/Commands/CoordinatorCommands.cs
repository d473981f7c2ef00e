using System.CommandLine;
using System.Text.Json.Nodes;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; coordinator ...</c>: the inference coordinator's workers and queue, and tasks.</summary>
public static class CoordinatorCommands
{
    public static Command Build()
    {
        var model = new Argument<string>("model") { Description = "model type: anomaly or forecast" };
        model.CompletionSources.Add("anomaly", "forecast");
        var device = CommonOptions.Number("device", "device", "the device whose readings the model reads");
        var priority = CommonOptions.Choice("--priority", "high, medium (default) or low", "high", "medium", "low");
        var wait = CommonOptions.Seconds("--wait", 0, "wait up to this many seconds for the result (default: answer at once)");

        return new Command("coordinator", "the round-robin inference coordinator").With(
            new Command("stats", "workers (idle, busy, offline), queue depth per priority, tasks per worker").WithMember(StatsAsync),
            new Command("submit", "submit an inference task").With(model, device, priority, wait).WithMember(async (p, client) =>
            {
                var body = new JsonObject
                {
                    ["model_type"] = p.GetValue(model),
                    ["device_id"] = Number(p.GetValue(device)),
                    ["priority"] = p.GetValue(priority) ?? "medium",
                };
                var seconds = p.GetValue(wait);
                var reply = await client.PostAsync("/api/inference" + (seconds > 0 ? $"?wait={seconds}s" : ""), body);
                if (p.GetValue(CommonOptions.Json)) { Output.Write(reply); return 0; }
                var state = Output.Text(reply["state"]);
                Output.Out.WriteLine($"task {Output.Text(reply["task_id"])}: {state}" +
                    (reply["node"] is { } node ? $" on {Output.Text(node)}" : "") +
                    (reply["result"] is { } result ? $"\n{result.ToJsonString(Output.Json)}" : "") +
                    (reply["reason"] is { } reason ? $" ({Output.Text(reason)})" : ""));
                return state == "failed" ? 1 : 0;
            }));
    }

    private static async Task<int> StatsAsync(ParseResult p, EdgeClient client)
    {
        var stats = await client.GetAsync("/api/inference/stats");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(stats); return 0; }
        Output.Out.WriteLine($"coordinator on {Output.Text(stats["coordinator"])}: {stats["alive_workers"]} of {stats["total_workers"]} workers alive " +
            $"({stats["idle_workers"]} idle, {stats["busy_workers"]} busy); completed {stats["completed_tasks"]}, failed {stats["failed_tasks"]}");
        var q = stats["queue"];
        Output.Out.WriteLine($"queue: high {q?["high"]}, medium {q?["medium"]}, low {q?["low"]}");
        if (stats["submit_to_assignment_ms"] is { } a)
            Output.Out.WriteLine($"submit to assignment: p50 {a["p50"]} ms, p99 {a["p99"]} ms over the last {a["samples"]} tasks");
        Output.Table(["WORKER", "NODE", "STATUS", "MODELS", "RUNNING", "CAPACITY", "COMPLETED"],
            (stats["workers"]?.AsArray() ?? []).Select(w => (IReadOnlyList<string?>)
            [
                Output.Text(w!["worker_id"]), Output.Text(w["node"]), Output.Text(w["status"]),
                string.Join(",", w["model_types"]?.AsArray().Select(Output.Text) ?? []), Output.Text(w["running"]),
                Output.Text(w["capacity"]), Output.Text(w["completed"]),
            ]));
        return 0;
    }
}
