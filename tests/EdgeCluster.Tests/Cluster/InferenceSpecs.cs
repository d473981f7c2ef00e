using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Tests.Cluster;

[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class InferenceSpecs
{
    private static async Task<JsonElement> StatsAsync(TestNode node) => await (await node.Http.GetAsync("/api/inference/stats")).ReadJsonAsync();

    private static Task WorkersAliveAsync(TestNode node, int count) => Eventually.AssertAsync(async () =>
        Assert.Equal(count, (await StatsAsync(node)).GetProperty("alive_workers").GetInt32()));

    [Fact]
    public async Task A_task_runs_the_anomaly_model_on_replicated_readings_and_names_the_node_that_ran_it()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var now = DateTimeOffset.UtcNow;
        var readings = Enumerable.Range(0, 30).Select(i => new
        {
            device_id = 5, temperature = i == 29 ? 35.0 : 20.0 + i % 2, humidity = 50, seq = i + 1,
            timestamp = now.AddMinutes(i - 30).ToString("O"),
        });
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", readings)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running) Assert.Equal(30, (await node.ReadingsAsync(5)).Count);
        });
        await WorkersAliveAsync(cluster[2], 3);

        var response = await cluster[2].Http.PostAsJsonAsync("/api/inference?wait=10s", new { model_type = "anomaly", device_id = 5, priority = "high" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var task = await response.ReadJsonAsync();
        Assert.Equal("completed", task.GetProperty("state").GetString());
        Assert.Equal(1, task.GetProperty("result").GetProperty("values").GetProperty("anomaly").GetDouble());
        Assert.Contains(task.GetProperty("node").GetString(), new[] { "node-0", "node-1", "node-2" });

        var again = await (await cluster[1].Http.GetAsync($"/api/inference/{task.GetProperty("task_id").GetString()}")).ReadJsonAsync();
        Assert.Equal("completed", again.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Equal_tasks_are_shared_round_robin_and_the_coordinator_moves_when_its_node_leaves()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster[0].PostReadingAsync(6, 20, 50, 1);
        await WorkersAliveAsync(cluster[0], 3);
        for (var i = 0; i < 9; i++)
        {
            var r = await cluster[i % 3].Http.PostAsJsonAsync("/api/inference?wait=10s", new { model_type = "forecast", device_id = 6 });
            Assert.Equal("completed", (await r.ReadJsonAsync()).GetProperty("state").GetString());
        }
        var stats = await StatsAsync(cluster[1]);
        Assert.Equal([3, 3, 3], stats.GetProperty("workers").EnumerateArray().Select(w => w.GetProperty("completed").GetInt32()));
        var firstCoordinator = stats.GetProperty("coordinator").GetString();

        await cluster.StopNodeAsync(0);
        await cluster.WaitForMembersAsync(2);
        await Eventually.AssertAsync(async () =>
        {
            var moved = await StatsAsync(cluster[1]);
            Assert.NotEqual(firstCoordinator, moved.GetProperty("coordinator").GetString());
            Assert.Equal(2, moved.GetProperty("alive_workers").GetInt32());
        }, TimeSpan.FromSeconds(60));
        var after = await cluster[2].Http.PostAsJsonAsync("/api/inference?wait=10s", new { model_type = "anomaly", device_id = 6 });
        Assert.Equal("completed", (await after.ReadJsonAsync()).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Bad_requests_name_the_field_and_unknown_tasks_are_404()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path);
        Assert.Equal("model_type", (await (await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "magic", device_id = 1 })).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal("device_id", (await (await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 0 })).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal("priority", (await (await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 1, priority = "urgent" })).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal("wait", (await (await node.Http.PostAsJsonAsync("/api/inference?wait=forever", new { model_type = "anomaly", device_id = 1 })).ReadJsonAsync()).GetProperty("field").GetString());
        await Eventually.AssertAsync(async () => Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("/api/inference/nope")).StatusCode));
        var accepted = await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 1 });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.NotNull(accepted.Headers.Location);
    }

    [Fact]
    public void Inference_messages_round_trip_through_the_chosen_serializer()
    {
        using var system = Akka.Actor.ActorSystem.Create("inference-serializer-check");
        var serializer = new InferenceSerializer((Akka.Actor.ExtendedActorSystem)system);
        object[] messages =
        [
            new Submit("t1", "anomaly", 3, Priority.High, "pi-1"),
            new Submitted("t1", SubmitResult.QueueFull, 1000),
            new WorkerHeartbeat("pi-2/worker", "pi-2", ["anomaly", "forecast"], 2),
            new RunTask("t1", "forecast", 3, 2),
            new TaskDone("t1", "pi-2/worker", "pi-2", true, "{\"x\":1}", null),
            new GetTask("t1"),
            new InferenceProtocol.TaskStatus("t1", "running", null, null, "pi-2/worker", "pi-2", 1),
        ];
        foreach (var message in messages)
        {
            var back = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
            Assert.Equal(message.GetType(), back.GetType());
            Assert.Equal(JsonSerializer.Serialize(message, message.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        }
        var heartbeat = (WorkerHeartbeat)serializer.FromBinary(serializer.ToBinary(messages[2]), "WorkerHeartbeat");
        Assert.Equal(["anomaly", "forecast"], heartbeat.ModelTypes);
    }
}
