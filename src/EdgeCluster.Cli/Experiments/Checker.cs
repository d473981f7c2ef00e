namespace EdgeCluster.Cli.Experiments;

/// <summary>Counts of one kind of operation: invoked, then ok, definitely failed, or indeterminate.</summary>
public sealed record OpCounts(int Invoked, int Ok, int Fail, int Info)
{
    public static OpCounts Of(IEnumerable<Op> ops)
    {
        var list = ops as IReadOnlyCollection<Op> ?? ops.ToList();
        return new(list.Count, list.Count(o => o.Outcome == Outcome.Ok), list.Count(o => o.Outcome == Outcome.Fail),
            list.Count(o => o.Outcome == Outcome.Info));
    }
}

/// <summary>One side of the cut: its members and its writes per phase (before, partitioned, after heal).</summary>
public sealed record SideCounts(IReadOnlyList<string> Members, IReadOnlyDictionary<string, (OpCounts Eventual, OpCounts Strong)> Phases);

/// <summary>Everything the checker found in a history. <see cref="Passed"/> is true only when every check holds.</summary>
public sealed record Verdict(
    int EventualAcknowledged, int EventualLost, IReadOnlyDictionary<string, int> LostPerMember,
    int StrongAcknowledged, int StrongLost, int StrongOnMinority, int StrongOnMinorityInTransition, int StrongRefusedOnMajority,
    int StrongReads, int StaleStrongReads, double? ConvergedAt,
    IReadOnlyDictionary<string, SideCounts> Sides,
    IReadOnlyDictionary<string, List<double?>> EventualAvailability,
    IReadOnlyDictionary<string, List<double?>> StrongAvailability,
    IReadOnlyDictionary<string, List<double?>> SideAvailability,
    OpCounts Operations, IReadOnlyList<string> Failures, int EventualResent = 0, IReadOnlyList<Offence>? Offences = null)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>An operation behind a failed check, and the check it failed (the report lists them, so a failed run says what went wrong where).</summary>
public sealed record Offence(string Check, Op Op, string? Member = null);

/// <summary>
/// Turns a history into a verdict, as a pure function: acknowledged writes lost, strong writes acknowledged on a
/// minority, strong operations the majority refused during the partition, stale strong reads, convergence. Every check it reports is part of the verdict.
/// </summary>
public static class Checker
{
    /// <summary>
    /// The first second after the nemesis answered: links already carrying messages can deliver for a moment longer
    /// (measured up to ~150 ms with the throttler), so operations invoked then are concurrent with the cut. They are
    /// reported apart, and still fail the run: a strong write acknowledged on a minority is never right.
    /// </summary>
    public const double Transition = 1.0;

    public static Verdict Check(IReadOnlyList<Target> targets, IReadOnlyList<Op> history, IReadOnlyList<Window> windows,
        IReadOnlyList<string> minority, double healedAt, double loadEnd, FinalReads final)
    {
        var writes = history.Where(o => o.IsWrite).ToList();
        var acked = writes.Where(o => o.Outcome == Outcome.Ok).ToList();
        var lostPerMember = targets.ToDictionary(t => t.Name, t =>
            acked.Where(o => !final.ByMember.GetValueOrDefault(t.Name, []).Contains((o.Device, o.Seq))).ToList());
        var eventualLost = lostPerMember.Values.Sum(l => l.Count(o => o.Kind == OpKind.EventualWrite));
        var strongLost = lostPerMember.Values.Sum(l => l.Count(o => o.Kind == OpKind.StrongWrite));

        // A strong write acknowledged by a member cut off from the majority, invoked and answered while the cut held.
        bool OnMinority(Op o) => o.Kind == OpKind.StrongWrite && windows.Any(w =>
            w.Minority.Contains(o.Member) && o.InvokedAt >= w.From && o.CompletedAt <= w.To);
        bool InTransition(Op o) => windows.Any(w => o.InvokedAt >= w.From && o.InvokedAt < w.From + Transition);
        var strongOnMinority = acked.Where(OnMinority).ToList();
        // A strong operation the majority side refused outright while the cut held (after its first second): a CP
        // majority keeps serving while the minority is cut off, downed and removed. Only where that side is a true
        // majority of all members (a split into equal halves leaves none).
        // Network cuts only: while a killed or paused member is being downed, strong operations may wait out their timeout.
        bool MajoritySide(Window w, string member) => w.Nemesis.IsNetwork() && !w.Minority.Contains(member)
            && (targets.Count - w.Minority.Count) * 2 > targets.Count;
        var refusedOnMajorityOps = history.Where(o => o.Kind is OpKind.StrongWrite or OpKind.StrongRead && o.Outcome == Outcome.Fail
            && windows.Any(w => MajoritySide(w, o.Member) && o.InvokedAt >= w.From + Transition && o.InvokedAt < w.To)).ToList();
        var refusedOnMajority = refusedOnMajorityOps.Count;

        // A strong read is stale if it saw fewer readings than strong writes of that device acknowledged before it began.
        var strongReads = history.Where(o => o.Kind == OpKind.StrongRead && o.Outcome == Outcome.Ok).ToList();
        var staleOps = strongReads.Where(o => o.ReadCount is { } seen &&
            seen < acked.Count(w => w.Kind == OpKind.StrongWrite && w.Device == o.Device && w.CompletedAt < o.InvokedAt)).ToList();
        var stale = staleOps.Count;
        var offences = lostPerMember.SelectMany(kv => kv.Value.Select(o => new Offence("acknowledged, then lost", o, kv.Key)))
            .Concat(strongOnMinority.Select(o => new Offence("strong write acknowledged on a minority", o)))
            .Concat(refusedOnMajorityOps.Select(o => new Offence("strong operation refused on the majority side", o)))
            .Concat(staleOps.Select(o => new Offence("stale strong read", o)))
            .ToList();

        var failures = new List<string>();
        if (eventualLost > 0) failures.Add($"{eventualLost} acknowledged eventual readings lost");
        if (strongLost > 0) failures.Add($"{strongLost} acknowledged strong readings lost");
        if (strongOnMinority.Count > 0) failures.Add($"{strongOnMinority.Count} strong writes acknowledged on a minority");
        if (stale > 0) failures.Add($"{stale} stale strong reads");
        if (refusedOnMajority > 0) failures.Add($"{refusedOnMajority} strong operations refused on the majority side during the partition");
        if (final.ConvergedAt is null) failures.Add("members did not converge");

        var seconds = (int)Math.Ceiling(loadEnd);
        // Share of the chosen writes acknowledged in each second of the run; null for a second without any.
        List<double?> PerSecond(Func<Op, bool> chosen) => Enumerable.Range(0, seconds).Select(s =>
        {
            var ops = writes.Where(o => chosen(o) && o.InvokedAt >= s && o.InvokedAt < s + 1).ToList();
            return ops.Count == 0 ? (double?)null : ops.Count(o => o.Outcome == Outcome.Ok) / (double)ops.Count;
        }).ToList();
        var sides = new Dictionary<string, IReadOnlyList<string>>
        {
            ["minority"] = minority,
            ["majority"] = targets.Select(t => t.Name).Except(minority).ToList(),
        };
        var phases = new (string Name, Func<Op, bool> In)[]
        {
            ("before", o => windows.Count == 0 || o.InvokedAt < windows[0].From),
            ("partitioned", o => windows.Any(w => o.InvokedAt >= w.From && o.InvokedAt < w.To)),
            ("after heal", o => o.InvokedAt >= healedAt),
        };
        var sideCounts = sides.ToDictionary(s => s.Key, s => new SideCounts(s.Value, phases.ToDictionary(p => p.Name, p =>
        (
            OpCounts.Of(writes.Where(o => s.Value.Contains(o.Member) && o.Kind == OpKind.EventualWrite && p.In(o))),
            OpCounts.Of(writes.Where(o => s.Value.Contains(o.Member) && o.Kind == OpKind.StrongWrite && p.In(o)))
        ))));

        return new Verdict(
            EventualAcknowledged: acked.Count(o => o.Kind == OpKind.EventualWrite),
            EventualLost: eventualLost,
            LostPerMember: lostPerMember.ToDictionary(kv => kv.Key, kv => kv.Value.Count),
            StrongAcknowledged: acked.Count(o => o.Kind == OpKind.StrongWrite),
            StrongLost: strongLost,
            StrongOnMinority: strongOnMinority.Count,
            StrongOnMinorityInTransition: strongOnMinority.Count(InTransition),
            StrongRefusedOnMajority: refusedOnMajority,
            StrongReads: strongReads.Count,
            StaleStrongReads: stale,
            ConvergedAt: final.ConvergedAt,
            Sides: sideCounts,
            EventualAvailability: targets.ToDictionary(t => t.Name, t => PerSecond(o => o.Member == t.Name && o.Kind == OpKind.EventualWrite)),
            StrongAvailability: targets.ToDictionary(t => t.Name, t => PerSecond(o => o.Member == t.Name && o.Kind == OpKind.StrongWrite)),
            SideAvailability: sides.ToDictionary(kv => kv.Key, kv => PerSecond(o => kv.Value.Contains(o.Member))),
            Operations: OpCounts.Of(history),
            Failures: failures,
            EventualResent: history.Where(o => o.Kind == OpKind.EventualWrite).Sum(o => o.Resent),
            Offences: offences);
    }
}
