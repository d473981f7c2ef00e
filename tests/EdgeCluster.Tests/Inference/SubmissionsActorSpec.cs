using Akka.Actor;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain.Inference;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Tests.Inference;

public sealed class SubmissionsActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task A_task_a_new_coordinator_does_not_know_is_submitted_again_until_it_ends()
    {
        var coordinator = CreateTestProbe();
        var submissions = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3), 10)));
        var task = new Submit("t-1", "anomaly", 3, Priority.High, "pi-1");

        submissions.Tell(task, TestActor);
        await coordinator.ExpectMsgAsync<Submit>(s => s.TaskId == "t-1");
        coordinator.Reply(new Submitted("t-1", SubmitResult.Accepted, 1));
        await ExpectMsgAsync<Submitted>();

        // The coordinator moved and lost its queue: it does not know the task.
        await coordinator.ExpectMsgAsync<GetTask>(g => g.TaskId == "t-1");
        coordinator.Reply(new InferenceProtocol.TaskStatus("t-1", "unknown", null, null, null, null, 0));
        Assert.Equal(task, await coordinator.FishForMessageAsync(m => m is Submit));

        await coordinator.FishForMessageAsync(m => m is GetTask);
        coordinator.Reply(new InferenceProtocol.TaskStatus("t-1", "completed", "{}", null, "pi-2/worker", "pi-2", 1));
        // A check already under way may still ask once; after that the ended task is forgotten.
        coordinator.ReceiveWhile(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300), m => m as GetTask, int.MaxValue);
        await coordinator.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(400));
    }

    [Fact]
    public async Task Without_a_coordinator_the_member_holds_tasks_up_to_its_bound_and_hands_them_to_the_next_one()
    {
        var coordinator = CreateTestProbe();
        var submissions = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(200), 2)));

        // Nobody answers: the first two are held here, the third finds the bound.
        foreach (var id in new[] { "a", "b", "c" }) submissions.Tell(new Submit(id, "anomaly", 3, Priority.Low, "pi-1"), TestActor);
        var answers = new[] { await ExpectMsgAsync<Submitted>(), await ExpectMsgAsync<Submitted>(), await ExpectMsgAsync<Submitted>() };
        Assert.Equal([SubmitResult.Held, SubmitResult.Held, SubmitResult.QueueFull], answers.Select(a => a.Result));
        submissions.Tell(new GetTask("a"), TestActor);
        Assert.Equal(SubmissionsActor.HeldState, (await ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);
        submissions.Tell(new GetTask("c"), TestActor);
        Assert.Equal("unknown", (await ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);

        // A coordinator appears: every check hands it the held tasks until it took them.
        var handed = new HashSet<string>();
        await coordinator.FishForMessageAsync(m =>
        {
            if (m is Submit s && s.TaskId is "a" or "b")
            {
                handed.Add(s.TaskId);
                coordinator.Reply(new Submitted(s.TaskId, SubmitResult.Accepted, 1));
            }
            return handed.Count == 2;
        }, TimeSpan.FromSeconds(5));
        await Task.Delay(400);
        submissions.Tell(new GetTask("a"), TestActor);
        Assert.Equal("queued", (await ExpectMsgAsync<InferenceProtocol.TaskStatus>()).State);
        // Once taken, the checks ask about them instead of submitting them again.
        Assert.IsType<GetTask>(await coordinator.FishForMessageAsync(m => m is GetTask, TimeSpan.FromSeconds(2)));
    }
}
