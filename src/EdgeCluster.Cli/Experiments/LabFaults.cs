using EdgeCluster.Contracts;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeCluster.Cli.Experiments;

/// <summary>
/// Faults done to the processes of a lab the experiment started (it has their pids): SIGKILL and a start again, a
/// clean restart, SIGSTOP and SIGCONT. Each holds for <paramref name="hold"/> and answers the span it covered on the run's clock.
/// </summary>
public sealed class LabFaults(string dir, HttpClient http, TimeSpan hold)
{
    /// <summary>The power cord pulled: SIGKILL, down for the hold, then started again on its own data.</summary>
    public async Task<Window> KillAsync(string name, Func<double> now)
    {
        await Lab.SignalAsync(dir, name, "KILL");
        var from = now();
        await Task.Delay(hold);
        await Lab.StartAsync(dir, name);
        return new Window(from, now(), [name], NemesisKind.Kill);
    }

    /// <summary>The member the inference coordinator runs on, stopped cleanly (SIGTERM) and started again.</summary>
    public async Task<Window> RestartCoordinatorAsync(IReadOnlyList<Target> targets, Func<double> now)
    {
        var name = await CoordinatorMemberAsync(targets) ?? targets[0].Name;
        await Lab.SignalAsync(dir, name, "TERM");
        var from = now();
        await Lab.StartAsync(dir, name);
        return new Window(from, now(), [name], NemesisKind.Restart);
    }

    /// <summary>A member frozen (SIGSTOP) for the hold, as a long GC pause or a swapping Pi would, then resumed.</summary>
    public async Task<Window> PauseAsync(string name, Func<double> now)
    {
        await Lab.SignalAsync(dir, name, "STOP");
        var from = now();
        try { await Task.Delay(hold); }
        finally { await Lab.SignalAsync(dir, name, "CONT"); }
        return new Window(from, now(), [name], NemesisKind.Pause);
    }

    /// <summary>The pids of the lab's nodes now (a restarted node has a new one).</summary>
    public IReadOnlyDictionary<string, int> Pids() => Lab.Load(dir).Nodes.Where(Lab.Running).ToDictionary(n => n.Name, n => n.Pid);

    private async Task<string?> CoordinatorMemberAsync(IReadOnlyList<Target> targets)
    {
        foreach (var t in targets)
        {
            try
            {
                var stats = await http.GetFromJsonAsync<CoordinatorStatsView>($"http://{t.Http}/api/inference/stats", ApiJson.Options);
                if (stats?.Coordinator is { Length: > 0 } name && targets.Any(x => x.Name == name)) return name;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
        }
        return null;
    }
}
