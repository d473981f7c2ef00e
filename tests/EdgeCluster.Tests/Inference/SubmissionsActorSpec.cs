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
        var submissions = Sys.ActorOf(Props.Create(() => new SubmissionsActor(coordinator.Ref, TimeSpan.FromMilliseconds(100))));
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
}
