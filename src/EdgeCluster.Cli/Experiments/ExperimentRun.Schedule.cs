using EdgeCluster.Contracts;
using System.Net.Http.Json;
using System.Text.Json;

namespace EdgeCluster.Cli.Experiments;

/// <summary>
/// The nemesis's side of a run: one cut held for half of it, a flapping cut, or the soak's faults one after another,
/// each span it covered recorded as a <see cref="Window"/> for the checker and the plots.
/// </summary>
public sealed partial class ExperimentRun
{
    /// <summary>
    /// A fault every --fault-every seconds (30–60 by default) until <paramref name="until"/>, each kind in turn from a
    /// shuffled bag: SIGKILL and start again, isolate one, split 2/3, flap, restart the coordinator's member, pause
    /// one with SIGSTOP/SIGCONT. The process faults need a lab the experiment started.
    /// </summary>
    private async Task SoakAsync(double until)
    {
        var random = new Random(settings.Seed);
        var kinds = new List<NemesisKind> { NemesisKind.Isolate, NemesisKind.Split, NemesisKind.Flap };
        if (faults is not null) kinds.AddRange([NemesisKind.Kill, NemesisKind.Restart, NemesisKind.Pause]);
        var bag = new Queue<NemesisKind>();
        var next = Now;
        while (true)
        {
            if (bag.Count == 0) foreach (var k in kinds.OrderBy(_ => random.Next())) bag.Enqueue(k);
            var kind = bag.Dequeue();
            var victim = targets[random.Next(targets.Count)].Name;
            if (next + settings.FaultHold + 5 > until) return;
            if (next > Now) await Task.Delay(TimeSpan.FromSeconds(next - Now));
            // A fault lands on a whole cluster: the members the last one downed have rejoined and know it (or half a minute passed).
            if (!await AllUpAsync(TimeSpan.FromSeconds(30))) Progress("not every member sees every member Up after 30 s; the next fault goes ahead");
            var started = Now;
            try
            {
                await FaultAsync(kind, victim, random);
            }
            catch (CliException e)
            {
                Progress($"{kind.Name()} not applied everywhere: {e.Message}");
            }
            next = started + settings.FaultEveryMin + random.NextDouble() * (settings.FaultEveryMax - settings.FaultEveryMin);
        }
    }

    private async Task FaultAsync(NemesisKind kind, string victim, Random random)
    {
        switch (kind)
        {
            case NemesisKind.Isolate:
            case NemesisKind.Flap:
                var others = targets.Select(t => t.Name).Where(n => n != victim).ToList();
                if (kind == NemesisKind.Flap) await FlapAsync([victim], others, settings.FaultHold);
                else await CutOnceAsync([victim], others, settings.FaultHold, NemesisKind.Isolate);
                break;
            case NemesisKind.Split:
                var shuffled = targets.Select(t => t.Name).OrderBy(_ => random.Next()).ToList();
                var small = shuffled.Take(targets.Count / 2).Order().ToList();
                await CutOnceAsync(small, shuffled.Except(small).ToList(), settings.FaultHold, NemesisKind.Split);
                break;
            case NemesisKind.Kill:
                Progress($"SIGKILL {victim}, start it again in {settings.FaultHold:0} s");
                _windows.Add(await faults!.KillAsync(victim, () => Now));
                break;
            case NemesisKind.Restart:
                Progress("restart the coordinator's member (SIGTERM, start again)");
                _windows.Add(await faults!.RestartCoordinatorAsync(targets, () => Now));
                break;
            case NemesisKind.Pause:
                Progress($"SIGSTOP {victim} for {settings.FaultHold:0} s, then SIGCONT");
                _windows.Add(await faults!.PauseAsync(victim, () => Now));
                break;
        }
    }

    /// <summary>How long the cluster must look whole before the next fault: the failure detector's verdict on a new link (~3 s).</summary>
    private const double Steady = 4;

    /// <summary>
    /// Whether the cluster is whole in every member's own view, and stays so for <see cref="Steady"/>: each member sees
    /// every member of the run Up and reachable, itself included, asked until <paramref name="within"/> passed. One
    /// member's view is not enough: a member the leader has just moved to Up learns it by gossip a moment later and
    /// refuses strong operations ("not a member") until then, which a fault started in that moment would count against
    /// the majority it belongs to. One look is not enough either: a member that has just joined is watched by the
    /// others' failure detectors only from then on, and a link that does not carry its heartbeats shows as unreachable
    /// seconds later.
    /// </summary>
    private async Task<bool> AllUpAsync(TimeSpan within)
    {
        var deadline = Now + within.TotalSeconds;
        var names = targets.Select(t => t.Name).ToHashSet();
        double? wholeSince = null;
        while (true)
        {
            var whole = 0;
            foreach (var t in targets)
            {
                try
                {
                    var view = await http.GetFromJsonAsync<ClusterView>($"http://{t.Http}/api/cluster", ApiJson.Options);
                    var up = view?.Members.Where(m => m.Status == "Up" && m.Reachable).Select(m => m.NodeName ?? "").ToHashSet();
                    if (up is not null && names.IsSubsetOf(up)) whole++;
                    else break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { break; }
            }
            if (whole < targets.Count) wholeSince = null;
            else if ((wholeSince ??= Now) + Steady <= Now) return true;
            if (Now > deadline) return false;
            await Task.Delay(500);
        }
    }

    private async Task CutOnceAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority, double seconds, NemesisKind? kind = null)
    {
        await CutAsync(minority, majority, kind ?? settings.Nemesis);
        var from = Now;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        _windows.Add(new Window(from, Now, minority, kind ?? settings.Nemesis));
        await HealAsync();
    }

    /// <summary>
    /// Cut for up to 4 s, heal for 2 s, again, for <paramref name="seconds"/>. A cut the members refuse or only partly
    /// apply (the flapping member was downed and is starting again: it is no member, or does not answer for a moment)
    /// is healed, counted from its start, and the flapping goes on, as a loose cable's would.
    /// </summary>
    private async Task FlapAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority, double seconds)
    {
        var until = Now + seconds;
        while (Now < until)
        {
            try
            {
                await CutAsync(minority, majority, NemesisKind.Flap);
            }
            catch (CliException e)
            {
                Progress($"flap not applied everywhere: {e.Message}");
                if (Now < until) await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, until - Now)));
                continue;
            }
            var start = Now;
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, Math.Min(4, until - Now))));
            _windows.Add(new Window(start, Now, minority, NemesisKind.Flap));
            await HealAsync();
            if (Now < until) await Task.Delay(TimeSpan.FromSeconds(Math.Min(2, until - Now)));
        }
    }

    /// <summary>
    /// Cuts; a cut only partly applied (a member did not answer in time, the others did) still isolates the minority, so
    /// it is healed everywhere and counted as a fault from its start before the failure is passed on.
    /// </summary>
    private async Task CutAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority, NemesisKind kind)
    {
        Progress($"cut: {string.Join(",", minority)} | {string.Join(",", majority)}");
        var from = Now;
        try
        {
            await nemesis.CutAsync(minority, majority);
        }
        catch (CliException)
        {
            // The fault ends where the heal begins, as in every other window: an operation answered while the heal is
            // being applied may have reached a majority through links already healed.
            var to = Now;
            await HealAsync();
            _windows.Add(new Window(from, to, minority, kind));
            throw;
        }
    }

    private Task HealAsync()
    {
        Progress("heal");
        return nemesis.HealAsync();
    }
}
