using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain.Inference;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Tests.Inference;

/// <summary>
/// The tasks a member accepted are kept in its replicated key before anyone hears of them, so that the member's next
/// actor system (after it was downed, or its process killed: the key is durable, in ddata.db) hands them on; an ended
/// task leaves the key.
/// </summary>
public sealed class AcceptedTasksSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config, output: output)
{
    private static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        """);

    private IActorRef Replicator => DistributedData.Get(Sys).Replicator;

    private async Task<IReadOnlyDictionary<string, Submit>> KeptAsync()
    {
        var got = await Replicator.Ask<IGetResponse>(Dsl.Get(SubmissionsActor.AcceptedKey("pi-1"), ReadLocal.Instance));
        return got is GetSuccess s ? s.Get(SubmissionsActor.AcceptedKey("pi-1")).Entries : new Dictionary<string, Submit>();
    }

    [Fact]
    public async Task A_task_accepted_while_no_coordinator_answers_is_handed_on_by_the_members_next_actor_system_and_forgotten_once_ended()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var coordinator = CreateTestProbe();
        var first = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(200), 10, Replicator, "pi-1")));
        var task = new Submit("t-9", "anomaly", 3, Priority.Medium, "pi-1");
        first.Tell(task, TestActor);
        // Kept before the coordinator hears of it; nobody answers, so the member holds it.
        await coordinator.ExpectMsgAsync<Submit>(s => s.TaskId == "t-9");
        Assert.Equal(task, (await KeptAsync())["t-9"]);
        Assert.Equal(SubmitResult.Held, (await ExpectMsgAsync<Submitted>()).Result);

        // The member's actor system goes (downed, or the process killed); the next one reads what it had accepted.
        await first.GracefulStop(TimeSpan.FromSeconds(3));
        var next = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200), 10, Replicator, "pi-1")));
        await AwaitAssertAsync(async () =>
        {
            next.Tell(new GetTask("t-9"), TestActor);
            Assert.Equal(SubmissionsActor.HeldState, (await ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);
        });
        Assert.Equal(task, await coordinator.FishForMessageAsync(m => m is Submit, TimeSpan.FromSeconds(5)));
        coordinator.Reply(new Submitted("t-9", SubmitResult.Accepted, 1));
        await coordinator.FishForMessageAsync(m => m is GetTask, TimeSpan.FromSeconds(5));
        // The coordinator recorded the end (here: a one-member cluster, so this member is the majority).
        Replicator.Tell(Dsl.Update(InferenceResults.KeyOf("t-9"), LWWDictionary<string, EndedTask>.Empty, InferenceResults.RecordWrite,
            InferenceResults.Add(cluster.SelfUniqueAddress, new EndedTask("t-9", "completed", "{}", null, "pi-2/worker", "pi-2", 1, 1))));
        coordinator.Reply(new InferenceProtocol.TaskStatus("t-9", "completed", "{}", null, "pi-2/worker", "pi-2", 1));
        await AwaitAssertAsync(async () => Assert.Empty(await KeptAsync()), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_task_is_forgotten_only_once_its_end_is_written_to_a_majority()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var coordinator = CreateTestProbe();
        // The replicator as the member sees it: it answers as a member would whose majority is out of reach (one the
        // cluster downed while it was paused, which has not heard so yet), then as one that reaches it.
        var replicator = CreateTestProbe();
        var accepted = SubmissionsActor.AcceptedKey("pi-1");
        var results = InferenceResults.KeyOf("t-7");
        var submissions = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 10, replicator.Ref, "pi-1")));
        await replicator.ExpectMsgAsync<Get>(g => g.Key.Equals(accepted));
        submissions.Tell(new Submit("t-7", "anomaly", 3, Priority.Medium, "pi-1"), TestActor);
        var keep = await replicator.ExpectMsgAsync<Update>(u => u.Key.Equals(accepted));
        replicator.Reply(new UpdateSuccess(accepted, keep.Request));
        await coordinator.ExpectMsgAsync<Submit>(s => s.TaskId == "t-7");
        coordinator.Reply(new Submitted("t-7", SubmitResult.Accepted, 1));
        Assert.Equal(SubmitResult.Accepted, (await ExpectMsgAsync<Submitted>()).Result);

        var ended = new EndedTask("t-7", "completed", "{}", null, "pi-1/worker", "pi-1", 1, 1);
        async Task<Update> CoordinatorSaysCompletedAsync()
        {
            await coordinator.FishForMessageAsync(m => m is GetTask, TimeSpan.FromSeconds(5));
            coordinator.Reply(new InferenceProtocol.TaskStatus("t-7", "completed", "{}", null, "pi-1/worker", "pi-1", 1));
            await replicator.ExpectMsgAsync<Get>(g => g.Key.Equals(results));
            replicator.Reply(new GetSuccess(results, null, LWWDictionary<string, EndedTask>.Empty.SetItem(cluster.SelfUniqueAddress, "t-7", ended)));
            var confirm = await replicator.ExpectMsgAsync<Update>(u => u.Key.Equals(results));
            Assert.IsType<WriteMajority>(confirm.Consistency);
            return confirm;
        }

        // No majority took it: the task stays this member's (nothing is taken off its key), and it asks again.
        var first = await CoordinatorSaysCompletedAsync();
        replicator.Reply(new UpdateTimeout(results, first.Request));
        var second = await CoordinatorSaysCompletedAsync();
        // A majority took it: now it is forgotten (taken off the member's key).
        replicator.Reply(new UpdateSuccess(results, second.Request));
        var forget = await replicator.FishForMessageAsync<Update>(u => u.Key.Equals(accepted), TimeSpan.FromSeconds(5));
        Assert.Empty(((LWWDictionary<string, Submit>)forget.Modify(
            LWWDictionary<string, Submit>.Empty.SetItem(cluster.SelfUniqueAddress, "t-7", new Submit("t-7", "anomaly", 3, Priority.Medium, "pi-1")))).Entries);
    }

    [Fact]
    public async Task Tasks_accepted_together_are_kept_in_one_write_and_forgotten_when_the_coordinator_says_they_ended()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        await cluster.JoinAsync(cluster.SelfAddress);
        var coordinator = CreateTestProbe();
        // The real replicator behind a probe that counts the writes of the member's key and passes everything on.
        var writes = 0;
        var counting = Sys.ActorOf(Props.Create(() => new PassOn(Replicator, () => Interlocked.Increment(ref writes))));
        var submissions = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5), 100, counting, "pi-1")));
        var askers = Enumerable.Range(0, 40).Select(_ => CreateTestProbe()).ToList();
        for (var i = 0; i < askers.Count; i++) submissions.Tell(new Submit($"t-{i}", "anomaly", 3, Priority.Medium, "pi-1"), askers[i]);
        for (var i = 0; i < askers.Count; i++)
        {
            var submit = await coordinator.ExpectMsgAsync<Submit>();
            coordinator.Reply(new Submitted(submit.TaskId, SubmitResult.Accepted, i));
        }
        foreach (var asker in askers) Assert.Equal(SubmitResult.Accepted, (await asker.ExpectMsgAsync<Submitted>()).Result);
        Assert.Equal(40, (await KeptAsync()).Count);
        // 40 tasks, queued while the first write was on its way: far fewer writes than tasks.
        Assert.InRange(writes, 1, 10);

        // The coordinator says the end of 30 is on a majority: they leave the key without a look at the results.
        for (var i = 0; i < 30; i++) submissions.Tell(new TaskEnded($"t-{i}"), coordinator.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(Enumerable.Range(30, 10).Select(i => $"t-{i}").ToHashSet(), (await KeptAsync()).Keys.ToHashSet()),
            TimeSpan.FromSeconds(5));
    }

    /// <summary>Passes every message on to the replicator (the answers go to the sender) and counts the updates.</summary>
    private sealed class PassOn : ReceiveActor
    {
        public PassOn(IActorRef replicator, Action updated) =>
            ReceiveAny(m =>
            {
                if (m is Update) updated();
                replicator.Forward(m);
            });
    }
}
