using EdgeCluster.Domain.Inference;

namespace EdgeCluster.Tests.Inference;

public class CoordinatorStateTests
{
    private static readonly CoordinatorOptions Options = new(5, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), 3, FairShareSlack: 4);

    private static WorkerInfo W(string id, int capacity = 1, params string[] models) =>
        new(id, "node-" + id, (models.Length == 0 ? ["anomaly", "forecast"] : models).ToHashSet(), capacity);

    private static InferenceTask T(string id, Priority priority = Priority.Medium, string model = "anomaly") => new(id, model, 1, priority, 0);

    [Fact]
    public void Equal_tasks_go_round_robin_over_alive_workers()
    {
        var state = new CoordinatorState(Options with { QueueCapacity = 10_000 });
        foreach (var w in new[] { "w1", "w2", "w3" }) state.Heartbeat(W(w, capacity: 10_000), 0);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 9_999; i++)
        {
            state.Submit(T($"t{i}"));
            foreach (var a in state.Assign(0))
            {
                counts[a.WorkerId] = counts.GetValueOrDefault(a.WorkerId) + 1;
                state.Complete(a.Task.TaskId, a.WorkerId, "ok");
            }
        }
        Assert.Equal([3333, 3333, 3333], counts.Values);

        var order = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            state.Submit(T($"o{i}"));
            var a = Assert.Single(state.Assign(0));
            order.Add(a.WorkerId);
            state.Complete(a.Task.TaskId, a.WorkerId, "ok");
        }
        Assert.Equal(["w1", "w2", "w3", "w1", "w2", "w3"], order);
    }

    [Fact]
    public void A_worker_that_frees_its_slots_sooner_gets_no_more_than_the_slack_ahead()
    {
        // w1 finishes at once; w2 and w3 take ten rounds for each task. Work-conserving round-robin would hand w1 nearly all.
        var state = new CoordinatorState(Options with { QueueCapacity = 10_000, FairShareSlack = 4 });
        foreach (var w in new[] { "w1", "w2", "w3" }) state.Heartbeat(W(w, capacity: 2), 0);
        var counts = new Dictionary<string, int>();
        var slow = new List<(Assignment A, int Round)>();
        for (var i = 0; i < 3_000; i++) state.Submit(T($"t{i}"));
        for (var round = 0; counts.Values.Sum() < 3_000; round++)
        {
            foreach (var a in state.Assign(0))
            {
                if (a.WorkerId == "w1") { state.Complete(a.Task.TaskId, a.WorkerId, "ok"); counts["w1"] = counts.GetValueOrDefault("w1") + 1; }
                else slow.Add((a, round));
            }
            foreach (var done in slow.Where(x => round - x.Round >= 10).ToList())
            {
                state.Complete(done.A.Task.TaskId, done.A.WorkerId, "ok");
                counts[done.A.WorkerId] = counts.GetValueOrDefault(done.A.WorkerId) + 1;
                slow.Remove(done);
            }
        }
        Assert.True(counts.Values.Max() - counts.Values.Min() <= 4 + 2, string.Join(", ", counts));

        // w2 holds its task and never finishes: with the bound w1 stops 4 ahead; without it w1 takes every other task.
        Assert.Equal((5, 1, 4), Stuck(slack: 4));
        Assert.Equal((9, 1, 0), Stuck(slack: 0));
    }

    private static (int W1, int W2, int Queued) Stuck(int slack)
    {
        var state = new CoordinatorState(Options with { QueueCapacity = 10, FairShareSlack = slack });
        foreach (var w in new[] { "w1", "w2" }) state.Heartbeat(W(w, capacity: 1), 0);
        for (var i = 0; i < 10; i++) state.Submit(T($"s{i}"));
        var (w1, w2) = (0, 0);
        for (IReadOnlyList<Assignment> batch; (batch = state.Assign(0)).Count > 0;)
            foreach (var a in batch)
            {
                if (a.WorkerId == "w2") { w2++; continue; }
                w1++;
                state.Complete(a.Task.TaskId, "w1", "ok");
            }
        return (w1, w2, state.QueueDepth);
    }

    [Fact]
    public void A_worker_that_joins_late_starts_level_with_the_others_instead_of_taking_every_task()
    {
        var state = new CoordinatorState(Options with { QueueCapacity = 10_000, FairShareSlack = 4 });
        state.Heartbeat(W("w1", capacity: 100), 0);
        for (var i = 0; i < 500; i++)
        {
            state.Submit(T($"t{i}"));
            foreach (var a in state.Assign(0)) state.Complete(a.Task.TaskId, a.WorkerId, "ok");
        }
        state.Heartbeat(W("w2", capacity: 100), 0);
        var order = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            state.Submit(T($"late{i}"));
            var a = Assert.Single(state.Assign(0));
            order.Add(a.WorkerId);
            state.Complete(a.Task.TaskId, a.WorkerId, "ok");
        }
        Assert.Equal(3, order.Count(w => w == "w1"));
        Assert.Equal(3, order.Count(w => w == "w2"));
    }

    [Fact]
    public void High_priority_goes_first_and_each_priority_is_first_in_first_out()
    {
        var state = new CoordinatorState(Options);
        state.Submit(T("low", Priority.Low));
        state.Submit(T("m1"));
        state.Submit(T("high", Priority.High));
        state.Submit(T("m2"));
        state.Heartbeat(W("w1", capacity: 4), 0);
        Assert.Equal(["high", "m1", "m2", "low"], state.Assign(0).Select(a => a.Task.TaskId));
    }

    [Fact]
    public void A_worker_gets_no_more_than_its_capacity_nor_models_it_does_not_run()
    {
        var state = new CoordinatorState(Options);
        state.Heartbeat(W("anomaly-only", 2, "anomaly"), 0);
        state.Submit(T("f1", model: "forecast"));
        state.Submit(T("a1"));
        state.Submit(T("a2"));
        state.Submit(T("a3"));
        var assigned = state.Assign(0);
        Assert.Equal(["a1", "a2"], assigned.Select(a => a.Task.TaskId));
        Assert.Equal(WorkerStatus.Busy, state.StatusOf("anomaly-only"));
        Assert.Equal(2, state.QueueDepth);
    }

    [Fact]
    public void The_queue_is_bounded()
    {
        var state = new CoordinatorState(Options);
        for (var i = 0; i < 5; i++) Assert.Equal(SubmitResult.Accepted, state.Submit(T($"t{i}")));
        Assert.Equal(SubmitResult.QueueFull, state.Submit(T("t5")));
        Assert.Equal(SubmitResult.AlreadyKnown, state.Submit(T("t0")));
    }

    [Fact]
    public void A_worker_that_stops_heartbeating_goes_offline_and_its_task_runs_elsewhere()
    {
        var state = new CoordinatorState(Options);
        state.Heartbeat(W("w1"), 0);
        state.Submit(T("t"));
        Assert.Equal("w1", Assert.Single(state.Assign(0)).WorkerId);

        state.Heartbeat(W("w2"), 4_000);
        Assert.Empty(state.Tick(5_001));
        Assert.Equal(WorkerStatus.Offline, state.StatusOf("w1"));
        var again = Assert.Single(state.Assign(5_001));
        Assert.Equal("w2", again.WorkerId);
        Assert.Equal(1, again.Task.Attempts);

        // The lost worker's late result does not count; the new worker's does, once.
        Assert.Null(state.Complete("t", "w1", "late"));
        var outcome = state.Complete("t", "w2", "z=2.4");
        Assert.True(outcome!.Completed);
        Assert.Null(state.Complete("t", "w2", "z=2.4"));
        Assert.Equal("z=2.4", state.Outcome("t")!.Result);
    }

    [Fact]
    public void A_task_that_misses_its_deadline_every_time_fails_with_the_reason_after_the_last_attempt()
    {
        var state = new CoordinatorState(Options);
        long now = 0;
        TaskOutcome? failed = null;
        state.Submit(T("slow"));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            state.Heartbeat(W("w1"), now);
            Assert.Single(state.Assign(now));
            now += 31_000;
            state.Heartbeat(W("w1"), now);
            failed = state.Tick(now).SingleOrDefault();
        }
        Assert.NotNull(failed);
        Assert.False(failed.Completed);
        Assert.Contains("missed the deadline", failed.Reason);
        Assert.Equal(3, failed.Attempts);
        Assert.Equal(0, state.QueueDepth);
    }

    [Fact]
    public void A_requeued_task_goes_before_later_tasks_of_its_priority()
    {
        var state = new CoordinatorState(Options);
        state.Heartbeat(W("w1"), 0);
        state.Submit(T("first"));
        state.Assign(0);
        state.Submit(T("second"));
        state.Failed("first", "w1", "model crashed");
        Assert.Equal("first", Assert.Single(state.Assign(0)).Task.TaskId);
    }
}
