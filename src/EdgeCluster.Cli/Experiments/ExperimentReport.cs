using System.Text;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli.Experiments;

/// <summary>The settings of one experiment run; the soak's (a fault every FaultEveryMin–Max s, each held FaultHold s) too.</summary>
public sealed record ExperimentSettings(string Profile, NemesisKind Nemesis, double Duration, int Rate, int StrongEvery, string Out,
    string? NemesisCommand, string? HealCommand, double FaultEveryMin = 30, double FaultEveryMax = 60, double FaultHold = 10,
    double InferenceRate = 0, int Seed = 1)
{
    public double StrongRate => (double)Rate / StrongEvery;
}

/// <summary>What a run leaves behind: the verdict, and its report as JSON, Markdown, an SVG plot of availability and one of the processes' memory.</summary>
public sealed record Report(bool Passed, JsonObject Json, string Markdown, string Svg, IReadOnlyList<Op> History, string? ResourcesSvg = null);

/// <summary>Writes a verdict as the report's JSON and Markdown, and draws its plot.</summary>
public static class ExperimentReport
{
    public static Report Write(ExperimentSettings settings, IReadOnlyList<Target> targets, IReadOnlyList<Window> windows,
        IReadOnlyList<Op> history, Verdict v, double healedAt, double loadEnd, IReadOnlyList<FinalMember> finalMembers,
        IReadOnlyList<ExtraCheck> extra, IReadOnlyList<ResourceSample> samples)
    {
        var failures = v.Failures.Concat(extra.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Result}")).ToList();
        var passed = failures.Count == 0;
        var converged = v.ConvergedAt is { } at ? (AfterLoad: Math.Round(at - loadEnd, 2), AfterHeal: Math.Round(at - healedAt, 2)) : ((double AfterLoad, double AfterHeal)?)null;
        var json = new JsonObject
        {
            ["profile"] = settings.Profile,
            ["nemesis"] = settings.Nemesis.Name(),
            ["duration_s"] = settings.Duration,
            ["members"] = Array(targets.Select(t => new JsonObject { ["name"] = t.Name, ["http"] = t.Http })),
            ["windows"] = Array(windows.Select(w => new JsonObject
                { ["from_s"] = Math.Round(w.From, 2), ["to_s"] = Math.Round(w.To, 2), ["action"] = w.Nemesis.Name(), ["minority"] = string.Join(",", w.Minority) })),
            ["operations"] = Counts(v.Operations),
            ["eventual"] = new JsonObject
            {
                ["acknowledged"] = v.EventualAcknowledged,
                ["lost_after_heal"] = v.EventualLost,
                ["resent"] = v.EventualResent,
                ["lost_per_member"] = new JsonObject(v.LostPerMember.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["convergence_s"] = converged?.AfterLoad,
                ["heal_to_convergence_s"] = converged?.AfterHeal,
            },
            ["strong"] = new JsonObject
            {
                ["acknowledged"] = v.StrongAcknowledged,
                ["lost"] = v.StrongLost,
                ["acknowledged_on_minority"] = v.StrongOnMinority,
                ["acknowledged_on_minority_in_transition"] = v.StrongOnMinorityInTransition,
                ["refused_on_majority"] = v.StrongRefusedOnMajority,
                ["reads"] = v.StrongReads,
                ["stale_reads"] = v.StaleStrongReads,
            },
            ["sides"] = new JsonObject(v.Sides.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject
            {
                ["members"] = Array(s.Value.Members.Select(m => JsonValue.Create(m))),
                ["phases"] = new JsonObject(s.Value.Phases.Select(p => KeyValuePair.Create(p.Key,
                    (JsonNode?)new JsonObject { ["eventual"] = Counts(p.Value.Eventual), ["strong"] = Counts(p.Value.Strong) }))),
            }))),
            ["availability_per_second"] = Series(v.EventualAvailability),
            // Share of all writes (eventual and strong) acknowledged per second on each side of the cut.
            ["availability_per_side_per_second"] = Series(v.SideAvailability),
            ["final_members"] = Array(finalMembers.Select(m => new JsonObject
                { ["name"] = m.Name, ["member"] = m.Member, ["incarnation"] = m.Incarnation, ["error"] = m.Error })),
            ["checks"] = Array(extra.Select(c => new JsonObject { ["check"] = c.Name, ["result"] = c.Result, ["passed"] = c.Passed })),
            ["resources"] = Array(ResourceCheck.Growth(samples).Select(g => new JsonObject
            {
                ["member"] = g.Member, ["pid"] = g.Pid, ["lived_s"] = Math.Round(g.LivedS), ["peak_rss_mib"] = Math.Round(g.PeakRssMiB, 1),
                ["peak_fds"] = g.PeakFds, ["rss_growth"] = g.RssGrowth is { } r ? Math.Round(r, 3) : null,
                ["fd_growth"] = g.FdGrowth is { } f ? Math.Round(f, 3) : null,
            })),
            ["failures"] = Array(failures.Select(f => JsonValue.Create(f))),
            ["passed"] = passed,
        };

        var md = new StringBuilder();
        md.AppendLine(settings.Nemesis == NemesisKind.Soak
            ? $"# Soak: profile {settings.Profile}, a fault every {settings.FaultEveryMin:0}–{settings.FaultEveryMax:0} s (seed {settings.Seed})"
            : $"# Partition experiment: profile {settings.Profile}, nemesis {settings.Nemesis.Name()}");
        md.AppendLine();
        md.AppendLine($"{targets.Count} members ({string.Join(", ", targets.Select(t => t.Name))}), {settings.Duration:0} s of load per member: {settings.Rate} eventual readings/s, {settings.StrongRate:0.#} strong readings/s and {settings.StrongRate:0.#} strong reads/s, each client waiting for its answers.");
        if (settings.InferenceRate > 0) md.AppendLine($"Inference tasks: {settings.InferenceRate:0.##}/s round-robin over the members.");
        foreach (var w in windows) md.AppendLine($"- {w.Nemesis.Name()}: {string.Join(",", w.Minority)} {Verb(w.Nemesis)} from {w.From:0.0} s to {w.To:0.0} s");
        md.AppendLine();
        md.AppendLine("| check | result |");
        md.AppendLine("|---|---|");
        md.AppendLine($"| acknowledged eventual readings lost after heal (all members) | {v.EventualLost} of {v.EventualAcknowledged} |");
        md.AppendLine($"| eventual readings sent again (same seq) after an answer that left them open | {v.EventualResent} |");
        md.AppendLine($"| acknowledged strong readings lost | {v.StrongLost} of {v.StrongAcknowledged} |");
        md.AppendLine($"| strong writes acknowledged on a minority | {v.StrongOnMinority} ({v.StrongOnMinorityInTransition} of them in the {Checker.Transition:0} s after the cut) |");
        md.AppendLine($"| strong operations refused on the majority side during the partition | {v.StrongRefusedOnMajority} |");
        md.AppendLine($"| stale strong reads | {v.StaleStrongReads} of {v.StrongReads} |");
        md.AppendLine($"| convergence after the load stopped | {(converged is { } c ? $"{c.AfterLoad:0.00} s ({c.AfterHeal:0.00} s after heal)" : "not within 90 s")} |");
        foreach (var check in extra) md.AppendLine($"| {check.Name} | {check.Result}{(check.Passed ? "" : " (FAIL)")} |");
        md.AppendLine($"| verdict | {(passed ? "PASS" : "FAIL: " + string.Join("; ", failures))} |");
        md.AppendLine();
        // The operations behind a failed check, so that a failed run (in CI, say) shows where and how it went wrong.
        if (v.Offences is { Count: > 0 } offences)
        {
            md.AppendLine($"Operations behind the failed checks ({Math.Min(offences.Count, MaxOffences)} of {offences.Count}):");
            md.AppendLine();
            md.AppendLine("| check | member | operation | device, seq | invoked | completed | status | error |");
            md.AppendLine("|---|---|---|---|---|---|---|---|");
            foreach (var (check, op, member) in offences.Take(MaxOffences))
                md.AppendLine($"| {check}{(member is null ? "" : $" (on {member})")} | {op.Member} | {op.Kind} | {op.Device}, {op.Seq} | {op.InvokedAt:0.00} s | {op.CompletedAt:0.00} s | {op.Status} | {Cell(op.Error)} |");
            md.AppendLine();
        }
        // A soak has no one minority: its faults are listed above, each with the members it struck.
        if (settings.Nemesis != NemesisKind.Soak)
        {
            md.AppendLine("Writes per side and phase (ok / fail / indeterminate of invoked):");
            md.AppendLine();
            md.AppendLine("| side | phase | eventual | strong |");
            md.AppendLine("|---|---|---|---|");
            foreach (var (side, counts) in v.Sides)
                foreach (var (phase, (eventual, strong)) in counts.Phases)
                    md.AppendLine($"| {side} | {phase} | {Fmt(eventual)} | {Fmt(strong)} |");
            md.AppendLine();
        }
        md.AppendLine("Members at the end: " + string.Join(", ", finalMembers.Select(m =>
            $"{m.Name} {m.Member ?? "unknown"} (actor system {m.Incarnation?.ToString() ?? "?"}{(m.Incarnation > 1 ? ": downed and rejoined" : "")})")));
        md.AppendLine();
        md.AppendLine("![availability](availability.svg)");
        if (samples.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("![memory](resources.svg)");
        }
        var seconds = (int)Math.Ceiling(loadEnd);
        return new Report(passed, json, md.ToString(), AvailabilityPlot.Svg(v.EventualAvailability, v.StrongAvailability, windows, seconds), history,
            samples.Count > 0 ? AvailabilityPlot.Resources(samples, windows, seconds) : null);
    }

    private const int MaxOffences = 20;

    private static string Cell(string? text) => text is null ? "" : text.Replace("|", "\\|").Replace("\n", " ");

    private static string Verb(NemesisKind kind) => kind switch
    {
        NemesisKind.Kill => "killed (SIGKILL) and down",
        NemesisKind.Restart => "restarted (SIGTERM), down",
        NemesisKind.Pause => "paused (SIGSTOP)",
        _ => "cut off",
    };

    private static JsonArray Array(IEnumerable<JsonNode?> nodes) => new(nodes.ToArray());

    private static JsonObject Counts(OpCounts c) => new() { ["invoked"] = c.Invoked, ["ok"] = c.Ok, ["fail"] = c.Fail, ["info"] = c.Info };

    private static JsonObject Series(IReadOnlyDictionary<string, List<double?>> series) =>
        new(series.Select(kv => KeyValuePair.Create(kv.Key,
            (JsonNode?)new JsonArray(kv.Value.Select(v => (JsonNode?)(v is null ? null : JsonValue.Create(Math.Round(v.Value, 3)))).ToArray()))));

    private static string Fmt(OpCounts c) => $"{c.Ok} / {c.Fail} / {c.Info} of {c.Invoked}";
}
