using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain.Inference;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Tests.Inference;

/// <summary>
/// The coordinator actor on a virtual clock (Akka.TestKit's TestScheduler): heartbeats, timeouts and deadlines are
/// driven by advancing time, so a spec can wait "six seconds" in no time and never depends on the machine's speed.
/// </summary>
public sealed class CoordinatorActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(VirtualClock, output: output)
{
    private static readonly Config VirtualClock = ConfigurationFactory.ParseString("""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """);

    private static readonly CoordinatorOptions Options = new(QueueCapacity: 2, HeartbeatTimeout: TimeSpan.FromSeconds(5),
        TaskDeadline: TimeSpan.FromSeconds(30), MaxAttempts: 2, FairShareSlack: 4);

    private TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    private IActorRef Coordinator() => Sys.ActorOf(Props.Create(() => new CoordinatorActor(Options, TimeSpan.FromHours(1))));

    private static WorkerHeartbeat Beat(string worker) => new(worker, worker.Replace("/worker", ""), ["anomaly"], 1);

    /// <summary>One virtual second: the clock moves, the worker heartbeats, and the coordinator has handled both before the next.</summary>
    private async Task SecondAsync(IActorRef coordinator, TestProbe worker, string workerId)
    {
        Clock.Advance(TimeSpan.FromSeconds(1));
        coordinator.Tell(Beat(workerId), worker);
        coordinator.Tell(new GetStats(), TestActor);
        await ExpectMsgAsync<CoordinatorStats>();
    }

    [Fact]
    public async Task A_task_whose_worker_stops_heartbeating_goes_to_another_worker_and_counts_once()
    {
        var coordinator = Coordinator();
        var w1 = CreateTestProbe();
        var w2 = CreateTestProbe();
        // Plays the submissions actor of the member that accepted both tasks.
        var submissions = CreateTestProbe();
        coordinator.Tell(Beat("n1/worker"), w1);
        coordinator.Tell(Beat("n2/worker"), w2);
        coordinator.Tell(new Submit("t1", "anomaly", 1, Priority.High, "n1"), submissions);
        coordinator.Tell(new Submit("t2", "anomaly", 1, Priority.High, "n1"), submissions);
        await submissions.ExpectMsgAsync<Submitted>(s => s.Result == SubmitResult.Accepted);
        await submissions.ExpectMsgAsync<Submitted>(s => s.Result == SubmitResult.Accepted);
        // Capacity 1 each, round-robin: one task on each worker.
        var onW1 = await w1.ExpectMsgAsync<RunTask>();
        var onW2 = await w2.ExpectMsgAsync<RunTask>();
        Assert.NotEqual(onW1.TaskId, onW2.TaskId);
        coordinator.Tell(new TaskDone(onW2.TaskId, "n2/worker", "n2", true, "{\"ok\":1}", null), w2);
        // Its end recorded (here on the one member there is), the member that accepted it hears it may forget it.
        Assert.Equal(onW2.TaskId, (await submissions.ExpectMsgAsync<TaskEnded>()).TaskId);

        // w1 falls silent; w2 heartbeats every virtual second. At 4 s w1 is still alive and holds its task.
        for (var s = 1; s <= 4; s++) await SecondAsync(coordinator, w2, "n2/worker");
        await w2.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        // Past 5 s without a heartbeat: w1 is offline, its task goes back to the front of the queue and on to w2.
        for (var s = 5; s <= 6; s++) await SecondAsync(coordinator, w2, "n2/worker");
        var retried = await w2.ExpectMsgAsync<RunTask>();
        Assert.Equal(onW1.TaskId, retried.TaskId);
        Assert.Equal(2, retried.Attempt);
        coordinator.Tell(new TaskDone(retried.TaskId, "n2/worker", "n2", true, "{\"ok\":2}", null), w2);
        // w1's late answer is not counted: the task belongs to w2 now.
        coordinator.Tell(new TaskDone(onW1.TaskId, "n1/worker", "n1", true, "{\"late\":true}", null), w1);
        Assert.Equal(onW1.TaskId, (await submissions.ExpectMsgAsync<TaskEnded>()).TaskId);
        await submissions.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        coordinator.Tell(new GetTask(onW1.TaskId), TestActor);
        var status = await ExpectMsgAsync<InferenceProtocol.TaskStatus>();
        Assert.Equal(("completed", "n2/worker", 2, "{\"ok\":2}"), (status.State, status.WorkerId, status.Attempts, status.ResultJson));
        coordinator.Tell(new GetStats(), TestActor);
        var stats = await ExpectMsgAsync<CoordinatorStats>();
        Assert.Equal(2, stats.CompletedTasks);
        Assert.Equal("offline", stats.Workers.Single(w => w.WorkerId == "n1/worker").Status);
        Assert.Equal(2, stats.Workers.Single(w => w.WorkerId == "n2/worker").Completed);
    }

    [Fact]
    public async Task A_task_that_no_worker_finishes_fails_with_its_reason_after_its_attempts()
    {
        var coordinator = Coordinator();
        var w1 = CreateTestProbe();
        var submissions = CreateTestProbe();
        coordinator.Tell(Beat("n1/worker"), w1);
        coordinator.Tell(new Submit("t1", "anomaly", 1, Priority.Low, "n1"), submissions);
        await submissions.ExpectMsgAsync<Submitted>();
        Assert.Equal(1, (await w1.ExpectMsgAsync<RunTask>()).Attempt);

        // The worker heartbeats but never answers: the 30 s deadline re-queues the task once, then it fails.
        for (var s = 1; s <= 31; s++) await SecondAsync(coordinator, w1, "n1/worker");
        Assert.Equal(2, (await w1.ExpectMsgAsync<RunTask>()).Attempt);
        for (var s = 1; s <= 31; s++) await SecondAsync(coordinator, w1, "n1/worker");
        coordinator.Tell(new GetTask("t1"), TestActor);
        var status = await ExpectMsgAsync<InferenceProtocol.TaskStatus>();
        Assert.Equal("failed", status.State);
        Assert.Contains("deadline", status.Reason);
        // A failed task has ended too: its member may forget it.
        Assert.Equal("t1", (await submissions.ExpectMsgAsync<TaskEnded>()).TaskId);
    }

    [Fact]
    public async Task Past_its_capacity_the_queue_refuses_and_workers_drain_it_in_priority_order()
    {
        var coordinator = Coordinator();
        coordinator.Tell(new Submit("low", "anomaly", 1, Priority.Low, "n1"), TestActor);
        coordinator.Tell(new Submit("high", "anomaly", 1, Priority.High, "n1"), TestActor);
        coordinator.Tell(new Submit("over", "anomaly", 1, Priority.High, "n1"), TestActor);
        await ExpectMsgAsync<Submitted>(s => s.Result == SubmitResult.Accepted);
        await ExpectMsgAsync<Submitted>(s => s.Result == SubmitResult.Accepted);
        Assert.Equal(SubmitResult.QueueFull, (await ExpectMsgAsync<Submitted>()).Result);

        var w1 = CreateTestProbe();
        coordinator.Tell(Beat("n1/worker"), w1);
        Assert.Equal("high", (await w1.ExpectMsgAsync<RunTask>()).TaskId);
        coordinator.Tell(new TaskDone("high", "n1/worker", "n1", true, "{}", null), w1);
        Assert.Equal("low", (await w1.ExpectMsgAsync<RunTask>()).TaskId);
    }

    [Fact]
    public async Task Who_awaits_a_task_hears_when_it_ends_and_at_once_when_it_has()
    {
        var coordinator = Coordinator();
        var w1 = CreateTestProbe();
        coordinator.Tell(Beat("n1/worker"), w1);
        coordinator.Tell(new Submit("t1", "anomaly", 1, Priority.High, "n1"), TestActor);
        await ExpectMsgAsync<Submitted>();
        var run = await w1.ExpectMsgAsync<RunTask>();

        var waiting = CreateTestProbe();
        coordinator.Tell(new AwaitTask("t1"), waiting);
        await waiting.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        coordinator.Tell(new TaskDone(run.TaskId, "n1/worker", "n1", true, "{\"ok\":1}", null), w1);
        var ended = await waiting.ExpectMsgAsync<InferenceProtocol.TaskStatus>();
        Assert.Equal(("completed", "{\"ok\":1}"), (ended.State, ended.ResultJson));

        // Ended, or unknown to it: answered at once.
        coordinator.Tell(new AwaitTask("t1"), waiting);
        Assert.Equal("completed", (await waiting.ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);
        coordinator.Tell(new AwaitTask("nope"), waiting);
        Assert.Equal("unknown", (await waiting.ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);
    }
}
