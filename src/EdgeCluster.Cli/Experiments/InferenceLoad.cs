using EdgeCluster.Contracts;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeCluster.Cli.Experiments;

/// <summary>An inference task the load submitted: where, when, and what the member answered.</summary>
public sealed record SubmittedTask(string Member, double At, int Status, string? TaskId);

/// <summary>Where each accepted task ended up once the run was over.</summary>
public sealed record InferenceOutcome(int Submitted, int Accepted, int Refused, int Unanswered, int Completed, int Failed,
    IReadOnlyList<string> NeverEnded);

/// <summary>
/// Inference tasks submitted round-robin to the members through the run, as the lab's clients do; at the end every
/// accepted task (202, or 200 with a result) must have ended, completed or failed, as some member answers.
/// </summary>
public sealed class InferenceLoad(HttpClient http, IReadOnlyList<Target> targets, IReadOnlyList<int> devices, double perSecond, Func<double> now)
{
    private readonly List<SubmittedTask> _submitted = new();

    public async Task RunAsync(CancellationToken stop)
    {
        var i = 0;
        while (!stop.IsCancellationRequested)
        {
            var target = targets[i % targets.Count];
            var at = now();
            try
            {
                using var response = await http.PostAsJsonAsync($"http://{target.Http}/api/inference",
                    new { model_type = "anomaly", device_id = devices[i % devices.Count], priority = "medium" });
                var id = response.IsSuccessStatusCode
                    ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("task_id").GetString()
                    : null;
                lock (_submitted) _submitted.Add(new SubmittedTask(target.Name, at, (int)response.StatusCode, id));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                lock (_submitted) _submitted.Add(new SubmittedTask(target.Name, at, 0, null));
            }
            i++;
            try { await Task.Delay(TimeSpan.FromSeconds(1 / perSecond), stop); }
            catch (TaskCanceledException) { return; }
        }
    }

    /// <summary>Asks any member for each accepted task until every one has ended or the time is up.</summary>
    public async Task<InferenceOutcome> SettleAsync(TimeSpan within)
    {
        List<SubmittedTask> submitted;
        lock (_submitted) submitted = _submitted.ToList();
        var accepted = submitted.Where(s => s.TaskId is not null).ToList();
        var ended = new Dictionary<string, string>();
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            foreach (var task in accepted.Where(t => !ended.ContainsKey(t.TaskId!)))
                if (await StateAsync(task.TaskId!) is { } state)
                    ended[task.TaskId!] = state;
            if (ended.Count == accepted.Count || DateTime.UtcNow > deadline) break;
            await Task.Delay(1000);
        }
        return new InferenceOutcome(submitted.Count, accepted.Count, submitted.Count(s => s.Status >= 400), submitted.Count(s => s.Status == 0),
            ended.Values.Count(s => s == "completed"), ended.Values.Count(s => s == "failed"),
            accepted.Where(t => !ended.ContainsKey(t.TaskId!)).Select(t => $"{t.TaskId} (accepted by {t.Member} at {t.At:0.0} s)").ToList());
    }

    private async Task<string?> StateAsync(string taskId)
    {
        foreach (var t in targets)
        {
            try
            {
                using var response = await http.GetAsync($"http://{t.Http}/api/inference/{taskId}");
                if (!response.IsSuccessStatusCode) continue;
                var view = await response.Content.ReadFromJsonAsync<TaskView>(ApiJson.Options);
                if (view?.State is "completed" or "failed") return view.State;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
        }
        return null;
    }
}
