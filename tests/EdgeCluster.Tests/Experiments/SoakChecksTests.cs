using EdgeCluster.Cli.Experiments;

namespace EdgeCluster.Tests.Experiments;

/// <summary>
/// The soak's checks on final states and samples made by hand: a clean state passes, and each fault they promise to
/// catch (members that differ, a reading answered twice, a board's reading missing, a task that never ended, a process
/// that grew) fails on its own.
/// </summary>
public sealed class SoakChecksTests
{
    private static readonly Target[] Members = [new("n1", "a:1"), new("n2", "a:2")];

    private static FinalReads Held(params (int Device, long Seq)[] readings) =>
        new(Members.ToDictionary(m => m.Name, _ => readings.ToHashSet()), ConvergedAt: 10, Duplicates: Members.ToDictionary(m => m.Name, _ => 0));

    private static readonly SimulatorResult Boards = new("http", 0, new Dictionary<int, long> { [1] = 2, [2] = 1 }, "done");

    private static readonly InferenceOutcome AllEnded = new(Submitted: 5, Accepted: 4, Refused: 1, Unanswered: 0, Completed: 3, Failed: 1, NeverEnded: []);

    private static IReadOnlyList<ExtraCheck> Check(FinalReads final, SimulatorResult? boards = null, InferenceOutcome? inference = null,
        IReadOnlyList<ResourceSample>? samples = null) =>
        SoakChecks.Of(Members, final, [boards ?? Boards], inference ?? AllEnded, samples ?? Steady("n1", 100, 100, 60));

    /// <summary>A process sampled every 5 s for <paramref name="seconds"/>, its RSS going linearly from one value to another.</summary>
    private static List<ResourceSample> Steady(string member, double fromMiB, double toMiB, int fds, int seconds = 900, int pid = 10) =>
        Enumerable.Range(0, seconds / 5 + 1).Select(i => new ResourceSample(i * 5, member, pid, fromMiB + (toMiB - fromMiB) * i * 5 / seconds, fds)).ToList();

    private static readonly (int, long)[] Everything = [(1, 1), (1, 2), (2, 1)];

    [Fact]
    public void A_clean_end_passes_every_check()
    {
        var checks = Check(Held(Everything));
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Result}"));
        Assert.Equal(5, checks.Count);
        Assert.Contains(checks, c => c.Result == "all 3 of 2 boards on each member");
    }

    [Fact]
    public void Members_that_differ_fail()
    {
        var final = Held(Everything);
        final.ByMember["n2"].Add((9, 1));
        var failed = Assert.Single(Check(final), c => !c.Passed);
        Assert.Equal("differ: n1 3, n2 4", failed.Result);
    }

    [Fact]
    public void A_reading_answered_twice_fails()
    {
        var final = Held(Everything) with { Duplicates = new Dictionary<string, int> { ["n1"] = 0, ["n2"] = 1 } };
        var failed = Assert.Single(Check(final), c => !c.Passed);
        Assert.Equal("n2 1", failed.Result);
    }

    [Fact]
    public void A_generated_reading_missing_on_every_member_fails_even_though_the_members_agree()
    {
        var failed = Assert.Single(Check(Held((1, 1), (2, 1))), c => !c.Passed);
        Assert.Contains("missing: n1 1, n2 1", failed.Result);
    }

    [Fact]
    public void A_simulator_that_could_not_send_everything_fails()
    {
        var failed = Assert.Single(Check(Held(Everything), Boards with { ExitCode = 1 }), c => !c.Passed);
        Assert.Contains("simulator exit 1", failed.Result);
    }

    [Fact]
    public void An_accepted_task_that_never_ended_fails()
    {
        var failed = Assert.Single(Check(Held(Everything), inference: AllEnded with { NeverEnded = ["t1 (accepted by n1 at 3.0 s)"] }), c => !c.Passed);
        Assert.StartsWith("1 of 4 accepted", failed.Result);
    }

    [Fact]
    public void Memory_that_grows_by_more_than_a_fifth_after_five_minutes_fails_and_a_short_life_is_not_judged()
    {
        // Flat up to 5 minutes, then up by 50 % by the end.
        var growing = Steady("n2", 100, 100, 60, seconds: 360, pid: 20).Concat(Steady("n2", 100, 150, 60, seconds: 540, pid: 20)
            .Select(s => s with { At = s.At + 365 })).ToList();
        var failed = Assert.Single(Check(Held(Everything), samples: [.. Steady("n1", 100, 105, 60), .. growing]), c => !c.Passed);
        Assert.Contains("n2 pid 20 RSS 100→", failed.Result);

        var leakingFds = Steady("n1", 100, 100, 60).Select(s => s with { Fds = s.At < 360 ? 60 : 90 }).ToList();
        Assert.Single(Check(Held(Everything), samples: leakingFds), c => !c.Passed);

        // Restarted after 4 minutes: neither life is long enough to judge, and that is said.
        var shortLives = Steady("n1", 100, 300, 60, seconds: 240, pid: 1).Concat(Steady("n1", 100, 300, 60, seconds: 240, pid: 2)).ToList();
        var check = Check(Held(Everything), samples: shortLives).Last();
        Assert.True(check.Passed);
        Assert.Contains("none lived 7 minutes: not judged", check.Result);
        Assert.Contains("peak RSS 300 MiB", check.Result);
    }
}
