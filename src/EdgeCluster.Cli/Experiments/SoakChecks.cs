namespace EdgeCluster.Cli.Experiments;

/// <summary>A check beyond the history's: what it looked at, what it found, and whether that holds.</summary>
public sealed record ExtraCheck(string Name, string Result, bool Passed);

/// <summary>
/// The checks of the final state and of the soak's extra load, as pure functions: every member holds the same
/// readings and none twice; every reading the simulated boards generated is on every member; every inference task
/// accepted has ended; no process grew its memory or descriptors by more than 20 % after its first five minutes.
/// </summary>
public static class SoakChecks
{
    public static IReadOnlyList<ExtraCheck> Of(IReadOnlyList<Target> targets, FinalReads final, IReadOnlyList<SimulatorResult> boards,
        InferenceOutcome? inference, IReadOnlyList<ResourceSample>? samples)
    {
        var checks = new List<ExtraCheck>();
        var held = targets.Select(t => (t.Name, Held: final.ByMember.GetValueOrDefault(t.Name, []))).ToList();
        var same = held.All(h => h.Held.SetEquals(held[0].Held));
        checks.Add(new("every member holds the same readings", same
            ? $"{held[0].Held.Count} readings on each of {held.Count} members"
            : "differ: " + string.Join(", ", held.Select(h => $"{h.Name} {h.Held.Count}")), same));
        var twice = final.Duplicates?.Values.Sum() ?? 0;
        checks.Add(new("readings answered twice by a member", twice == 0 ? "0"
            : string.Join(", ", final.Duplicates!.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}")), twice == 0));

        foreach (var board in boards)
        {
            var expected = board.Generated.Sum(d => d.Value);
            var missing = held.Select(h => (h.Name, Missing: board.Generated.Sum(d =>
                Enumerable.Range(1, (int)d.Value).Count(seq => !h.Held.Contains((d.Key, seq)))))).ToList();
            var ok = board.ExitCode == 0 && board.Generated.Count > 0 && missing.All(m => m.Missing == 0);
            checks.Add(new($"readings the simulated boards generated ({board.Transport}), on every member", ok
                ? $"all {expected} of {board.Generated.Count} boards on each member"
                : $"simulator exit {board.ExitCode}, {expected} generated; missing: " + string.Join(", ", missing.Select(m => $"{m.Name} {m.Missing}"))
                  + $" ({board.Output})", ok));
        }

        if (inference is { } i)
            checks.Add(new("inference tasks accepted but never ended", $"{i.NeverEnded.Count} of {i.Accepted} accepted ({i.Completed} completed, {i.Failed} failed; "
                + $"{i.Submitted} submitted, {i.Refused} refused, {i.Unanswered} unanswered)"
                + (i.NeverEnded.Count > 0 ? ": " + string.Join(", ", i.NeverEnded.Take(5)) : ""), i.NeverEnded.Count == 0));

        if (samples is { Count: > 0 })
        {
            var growth = ResourceCheck.Growth(samples);
            var judged = growth.Where(g => g.RssGrowth is not null).ToList();
            var grew = judged.Where(ResourceCheck.Grew).ToList();
            var peak = $"peak RSS {growth.Max(g => g.PeakRssMiB):0} MiB, peak fds {growth.Max(g => g.PeakFds)}";
            checks.Add(new($"memory and descriptors after the first {ResourceCheck.Settle / 60:0} minutes (growth ≤ {ResourceCheck.AllowedGrowth:P0})",
                judged.Count == 0
                    ? $"{growth.Count} processes, none lived {(ResourceCheck.Settle + 2 * ResourceCheck.Window) / 60:0} minutes: not judged; {peak}"
                    : $"{judged.Count} of {growth.Count} processes judged, {grew.Count} grew; largest RSS growth {judged.Max(g => g.RssGrowth):P0}, "
                      + $"fds {judged.Max(g => g.FdGrowth):P0}; {peak}"
                      + (grew.Count > 0 ? ": " + string.Join(", ", grew.Select(g => $"{g.Member} pid {g.Pid} RSS {g.SettledRssMiB:0}→{g.FinalRssMiB:0} MiB, fds {g.SettledFds:0}→{g.FinalFds:0}")) : ""),
                grew.Count == 0));
        }
        return checks;
    }
}
