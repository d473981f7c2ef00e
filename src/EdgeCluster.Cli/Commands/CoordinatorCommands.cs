using System.Text.Json;
using System.CommandLine;
using EdgeCluster.Contracts;
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
        var since = CommonOptions.Seconds("--since", 3600, "tasks that ended in the last this many seconds (default: 3600)");

        return new Command("coordinator", "the round-robin inference coordinator").With(
            new Command("stats", "workers (idle, busy, offline), queue depth per priority, tasks per worker").WithMember(StatsAsync),
            new Command("results", "ended tasks with their results, as this member keeps them (they outlive the coordinator)")
                .With(since).WithMember(async (p, client) =>
                {
                    var from = DateTimeOffset.UtcNow.AddSeconds(-p.GetValue(since)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
                    var results = await client.GetAsync<InferenceResultsView>($"/api/inference/results?since={Uri.EscapeDataString(from)}");
                    if (p.GetValue(CommonOptions.Json)) { Output.Write(results); return 0; }
                    Output.Table(["TASK", "STATE", "NODE", "ATTEMPTS", "ENDED", "RESULT"], results.Tasks.Select(t => (IReadOnlyList<string?>)
                        [t.TaskId, t.State, t.Node, t.Attempts.ToString(), t.EndedAt,
                         t.Result is { } r ? JsonSerializer.Serialize(r) : t.Reason]));
                    return 0;
                }),
            new Command("submit", "submit an inference task").With(model, device, priority, wait).WithMember(async (p, client) =>
            {
                var body = new { ModelType = p.GetValue(model), DeviceId = Number(p.GetValue(device)), Priority = p.GetValue(priority) ?? "medium" };
                var seconds = p.GetValue(wait);
                var reply = await client.PostAsync<TaskView>("/api/inference" + (seconds > 0 ? $"?wait={seconds}s" : ""), body);
                if (p.GetValue(CommonOptions.Json)) { Output.Write(reply); return 0; }
                Output.Out.WriteLine($"task {reply.TaskId}: {reply.State}" +
                    (reply.Node is { } node ? $" on {node}" : "") +
                    (reply.Result is { } result ? $"\n{JsonSerializer.Serialize(result, Output.Json)}" : "") +
                    (reply.Reason is { } reason ? $" ({reason})" : ""));
                return reply.State == "failed" ? 1 : 0;
            }));
    }

    private static async Task<int> StatsAsync(ParseResult p, EdgeClient client)
    {
        var stats = await client.GetAsync<CoordinatorStatsView>("/api/inference/stats");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(stats); return 0; }
        Output.Out.WriteLine($"coordinator on {stats.Coordinator}: {stats.AliveWorkers} of {stats.TotalWorkers} workers alive " +
            $"({stats.IdleWorkers} idle, {stats.BusyWorkers} busy); completed {stats.CompletedTasks}, failed {stats.FailedTasks}");
        Output.Out.WriteLine($"queue: high {stats.Queue.High}, medium {stats.Queue.Medium}, low {stats.Queue.Low}");
        var a = stats.SubmitToAssignmentMs;
        Output.Out.WriteLine($"submit to assignment: p50 {a.P50} ms, p99 {a.P99} ms over the last {a.Samples} tasks");
        Output.Table(["WORKER", "NODE", "STATUS", "MODELS", "RUNNING", "CAPACITY", "COMPLETED"],
            stats.Workers.Select(w => (IReadOnlyList<string?>)
                [w.WorkerId, w.Node, w.Status, string.Join(",", w.ModelTypes), w.Running.ToString(), w.Capacity.ToString(), w.Completed.ToString()]));
        return 0;
    }
}
