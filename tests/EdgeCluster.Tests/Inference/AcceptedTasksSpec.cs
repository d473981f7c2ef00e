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
        coordinator.Reply(new InferenceProtocol.TaskStatus("t-9", "completed", "{}", null, "pi-2/worker", "pi-2", 1));
        await AwaitAssertAsync(async () => Assert.Empty(await KeptAsync()), TimeSpan.FromSeconds(5));
    }
}
