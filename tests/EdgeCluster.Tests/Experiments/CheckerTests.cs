using EdgeCluster.Cli.Experiments;

namespace EdgeCluster.Tests.Experiments;

/// <summary>
/// The experiment's checker on histories made by hand: a clean one passes, and each fault it promises to catch
/// fails the verdict on its own.
/// </summary>
public sealed class CheckerTests
{
    private static readonly Target[] Members = [new("n1", "a:1"), new("n2", "a:2"), new("n3", "a:3")];
    private static readonly string[] Minority = ["n3"];
    // n3 is cut off from 5 s to 15 s; healed at 15 s, the load ends at 20 s.
    private static readonly Window[] Cut = [new(5, 15, Minority, NemesisKind.Isolate)];

    private static Op Write(string member, OpKind kind, int device, long seq, double at, Outcome outcome = Outcome.Ok) =>
        new(0, member, kind, device, seq, at, at + 0.1, outcome, outcome == Outcome.Ok ? 200 : 503, null);

    private static Op Read(string member, int device, double at, int count) =>
        new(0, member, OpKind.StrongRead, device, 0, at, at + 0.1, Outcome.Ok, 200, null, count);

    /// <summary>Every member holds every acknowledged write of the history.</summary>
    private static FinalReads AllHeld(IEnumerable<Op> history)
    {
        var acked = history.Where(o => o.IsWrite && o.Outcome == Outcome.Ok).Select(o => (o.Device, o.Seq)).ToHashSet();
        return new FinalReads(Members.ToDictionary(m => m.Name, _ => new HashSet<(int, long)>(acked)), ConvergedAt: 21);
    }

    private static List<Op> CleanHistory() =>
    [
        Write("n1", OpKind.EventualWrite, 1000, 1, 1),
        Write("n3", OpKind.EventualWrite, 1002, 1, 8),            // the minority keeps taking eventual writes
        Write("n1", OpKind.StrongWrite, 2000, 1, 2),
        Write("n2", OpKind.StrongWrite, 2000, 2, 9),              // the majority keeps taking strong writes
        Write("n3", OpKind.StrongWrite, 2002, 1, 9, Outcome.Fail), // the minority refuses them
        Read("n2", 2000, 3, count: 1),
        Read("n1", 2000, 10, count: 2),
    ];

    private static Verdict Check(List<Op> history, FinalReads? final = null) =>
        Checker.Check(Members, history, Cut, Minority, healedAt: 15, loadEnd: 20, final ?? AllHeld(history));

    [Fact]
    public void A_clean_history_passes()
    {
        var verdict = Check(CleanHistory());
        Assert.True(verdict.Passed, string.Join("; ", verdict.Failures));
        Assert.Equal(2, verdict.EventualAcknowledged);
        Assert.Equal(2, verdict.StrongAcknowledged);
        Assert.Equal(1, verdict.Sides["minority"].Phases["partitioned"].Strong.Fail);
    }

    [Fact]
    public void An_acknowledged_write_missing_on_one_member_fails()
    {
        var history = CleanHistory();
        var final = AllHeld(history);
        final.ByMember["n2"].Remove((1002, 1));
        var verdict = Check(history, final);
        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.EventualLost);
        Assert.Equal(1, verdict.LostPerMember["n2"]);
    }

    [Fact]
    public void A_strong_write_acknowledged_on_the_minority_fails()
    {
        var history = CleanHistory();
        history.Add(Write("n3", OpKind.StrongWrite, 2002, 2, 10));
        var verdict = Check(history);
        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.StrongOnMinority);
        Assert.Equal(0, verdict.StrongOnMinorityInTransition);
    }

    [Fact]
    public void A_strong_write_acknowledged_on_the_minority_in_the_second_after_the_cut_fails_too_and_is_reported_apart()
    {
        var history = CleanHistory();
        history.Add(Write("n3", OpKind.StrongWrite, 2002, 2, 5.2));
        var verdict = Check(history);
        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.StrongOnMinority);
        Assert.Equal(1, verdict.StrongOnMinorityInTransition);
    }

    [Fact]
    public void A_strong_operation_the_majority_refused_during_the_partition_fails()
    {
        var history = CleanHistory();
        history.Add(Write("n1", OpKind.StrongWrite, 2000, 3, 5.4, Outcome.Fail));   // in the cut's first second: not counted
        history.Add(Write("n1", OpKind.StrongWrite, 2000, 4, 15.5, Outcome.Fail));  // after the heal: not counted
        Assert.True(Check(history).Passed, string.Join("; ", Check(history).Failures));
        history.Add(Write("n2", OpKind.StrongWrite, 2000, 5, 11, Outcome.Fail));
        history.Add(new Op(0, "n1", OpKind.StrongRead, 2000, 0, 12, 12.1, Outcome.Fail, 503, "only 1 of 2 members are reachable"));
        var verdict = Check(history);
        Assert.False(verdict.Passed);
        Assert.Equal(2, verdict.StrongRefusedOnMajority);
        Assert.Contains("2 strong operations refused on the majority side during the partition", verdict.Failures);

        // Four members split two and two: neither half is a majority, and refusing there is right.
        Target[] four = [.. Members, new("n4", "a:4")];
        Window[] halves = [new(5, 15, ["n3", "n4"], NemesisKind.Split)];
        var split = Checker.Check(four, history, halves, ["n3", "n4"], healedAt: 15, loadEnd: 20,
            new FinalReads(four.ToDictionary(m => m.Name, _ => history.Where(o => o.IsWrite && o.Outcome == Outcome.Ok).Select(o => (o.Device, o.Seq)).ToHashSet()), ConvergedAt: 21));
        Assert.Equal(0, split.StrongRefusedOnMajority);
    }

    [Fact]
    public void A_strong_read_that_misses_an_earlier_acknowledged_strong_write_fails()
    {
        var history = CleanHistory();
        history.Add(Read("n2", 2000, 12, count: 1));   // both strong writes of device 2000 were acknowledged by 9.1 s
        var verdict = Check(history);
        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.StaleStrongReads);
    }

    [Fact]
    public void Members_that_never_converge_fail()
    {
        var history = CleanHistory();
        var verdict = Check(history, AllHeld(history) with { ConvergedAt = null });
        Assert.False(verdict.Passed);
        Assert.Contains("members did not converge", verdict.Failures);
    }

    [Fact]
    public void The_report_states_the_verdict_and_every_failure()
    {
        var history = CleanHistory();
        history.Add(Read("n2", 2000, 12, count: 1));
        history.Add(new Op(0, "n1", OpKind.StrongWrite, 2000, 7, 11, 11.25, Outcome.Fail, 503, "not a member | rejoining"));
        var verdict = Check(history);
        var settings = new ExperimentSettings("cp", NemesisKind.Isolate, 20, 10, 5, "out", null, null);
        var report = ExperimentReport.Write(settings, Members, Cut, history, verdict, 15, 20,
            Members.Select(m => new FinalMember(m.Name, "Up", 1, null)).ToList(), [], []);
        Assert.False(report.Passed);
        Assert.Contains("| verdict | FAIL: 1 stale strong reads; 1 strong operations refused on the majority side during the partition |", report.Markdown);
        // Each operation behind a failed check is listed: where, when, and what the member answered.
        Assert.Contains("Operations behind the failed checks (2 of 2):", report.Markdown);
        Assert.Contains("| strong operation refused on the majority side | n1 | StrongWrite | 2000, 7 | 11.00 s | 11.25 s | 503 | not a member \\| rejoining |", report.Markdown);
        Assert.Contains("| stale strong read | n2 | StrongRead | 2000, 0 | 12.00 s | 12.10 s | 200 |  |", report.Markdown);
        Assert.Equal(1, report.Json["strong"]!["stale_reads"]!.GetValue<int>());
        Assert.False(report.Json["passed"]!.GetValue<bool>());
        Assert.StartsWith("<svg", report.Svg);
        Assert.Null(report.ResourcesSvg);
    }

    [Fact]
    public void A_failed_check_of_the_soak_fails_the_report_with_the_history_clean_and_the_faults_are_named_on_the_plots()
    {
        var history = CleanHistory();
        var settings = new ExperimentSettings("default", NemesisKind.Soak, 20, 10, 5, "out", null, null);
        Window[] faults = [new(5, 15, Minority, NemesisKind.Isolate), new(16, 18, ["n1"], NemesisKind.Kill)];
        ExtraCheck[] extra = [new("every member holds the same readings", "4 readings on each of 3 members", true),
            new("inference tasks accepted but never ended", "1 of 9 accepted", false)];
        var report = ExperimentReport.Write(settings, Members, faults, history, Check(history), 15, 20,
            Members.Select(m => new FinalMember(m.Name, "Up", 1, null)).ToList(), extra, [new(1, "n1", 7, 120, 80), new(6, "n1", 7, 125, 81)]);
        Assert.False(report.Passed);
        Assert.Contains("| verdict | FAIL: inference tasks accepted but never ended: 1 of 9 accepted |", report.Markdown);
        Assert.Contains("| every member holds the same readings | 4 readings on each of 3 members |", report.Markdown);
        Assert.Contains("- kill: n1 killed (SIGKILL) and down from 16.0 s to 18.0 s", report.Markdown);
        Assert.Contains(">kill n1</text>", report.Svg);
        Assert.Contains(">isolate n3</text>", report.ResourcesSvg);
        Assert.Equal(125, report.Json["resources"]![0]!["peak_rss_mib"]!.GetValue<double>());
    }
}
