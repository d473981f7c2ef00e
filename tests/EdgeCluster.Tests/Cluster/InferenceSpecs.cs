using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Tests.Cluster;

[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
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
        var done = new List<System.Text.Json.JsonElement>();
        for (var i = 0; i < 9; i++)
        {
            var r = await cluster[i % 3].Http.PostAsJsonAsync("/api/inference?wait=10s", new { model_type = "forecast", device_id = 6 });
            done.Add(await r.ReadJsonAsync());
            Assert.Equal("completed", done[^1].GetProperty("state").GetString());
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

        // Results completed under the old coordinator outlive it: every member keeps them (the ended tasks are replicated
        // data, so a member's copy may lag the move by a gossip round or two: a full run once read "queued" at once).
        foreach (var task in done)
        {
            var id = task.GetProperty("task_id").GetString();
            await Eventually.AssertAsync(async () =>
            {
                var kept = await cluster[2].Http.GetAsync($"/api/inference/{id}");
                Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
                var view = await kept.ReadJsonAsync();
                Assert.Equal("completed", view.GetProperty("state").GetString());
                Assert.Equal(task.GetProperty("result").GetRawText(), view.GetProperty("result").GetRawText());
                Assert.Equal(task.GetProperty("node").GetString(), view.GetProperty("node").GetString());
            }, TimeSpan.FromSeconds(10));
        }
        var results = await (await cluster[1].Http.GetAsync("/api/inference/results")).ReadJsonAsync();
        Assert.Superset(done.Select(t => t.GetProperty("task_id").GetString()).ToHashSet(),
            results.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("task_id").GetString()).ToHashSet());
        var since = DateTimeOffset.UtcNow.AddMinutes(1).ToString("O");
        Assert.Equal(0, (await (await cluster[1].Http.GetAsync($"/api/inference/results?since={Uri.EscapeDataString(since)}")).ReadJsonAsync()).GetProperty("count").GetInt32());
        Assert.Equal("since", (await (await cluster[1].Http.GetAsync("/api/inference/results?since=yesterday")).ReadJsonAsync()).GetProperty("field").GetString());
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
    public async Task A_full_queue_answers_429_with_Retry_After_over_HTTP()
    {
        using var dir = new TempDir();
        // A coordinator with no worker (no inference role) and room for two tasks.
        await using var node = await TestNode.StartAsync(dir.Path, autoRegister: true,
            configure: s => s with { Roles = ["edge", "coordinator"], InferenceQueue = 2 });
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.Accepted,
                (await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 1 })).StatusCode);
        var refused = await node.Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 1, priority = "high" });
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("queue is full", (await refused.ReadJsonAsync()).GetProperty("error").GetString());
        var stats = await StatsAsync(node);
        Assert.Equal(2, stats.GetProperty("queue").GetProperty("medium").GetInt32());
    }

    [Fact]
    public async Task Tasks_held_by_a_worker_that_is_cut_off_mid_task_are_requeued_and_completed_elsewhere()
    {
        // AP: nobody is downed, so the cut-off worker simply goes silent to the coordinator on node-0 (the oldest).
        // A 15 s heartbeat window keeps node-2's worker counted alive while the tasks are submitted, however slow the machine.
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap",
            configure: (_, s) => s with { HeartbeatTimeoutMs = 15_000 });
        var readings = Enumerable.Range(1, 10).Select(i => new { device_id = 6, temperature = 20.0 + i % 3, humidity = 50, seq = i });
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", readings)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running) Assert.Equal(10, (await node.ReadingsAsync(6)).Count);
        });
        await WorkersAliveAsync(cluster[0], 3);

        // Cut node-2 off, then submit at once: the coordinator still counts node-2's worker alive (its last heartbeat is
        // under 5 s old), so round-robin hands it tasks whose RunTask or result the cut swallows: lost mid-task.
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "node-2" })).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the cut's transition: links can deliver for a moment after it
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var accepted = await cluster[0].Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 6 });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            ids.Add((await accepted.ReadJsonAsync()).GetProperty("task_id").GetString()!);
        }
        var ended = new List<JsonElement>();
        await Eventually.AssertAsync(async () =>
        {
            ended.Clear();
            foreach (var id in ids) ended.Add(await (await cluster[1].Http.GetAsync($"/api/inference/{id}")).ReadJsonAsync());
            Assert.All(ended, t => Assert.Equal("completed", t.GetProperty("state").GetString()));
        }, TimeSpan.FromSeconds(40));
        // Some went to node-2 first and were completed on another member at a second attempt; none ran on node-2.
        Assert.Contains(ended, t => t.GetProperty("attempts").GetInt32() == 2);
        Assert.All(ended, t => Assert.NotEqual("node-2", t.GetProperty("node").GetString()));
        var stats = await StatsAsync(cluster[0]);
        Assert.Equal("offline", stats.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("node").GetString() == "node-2").GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
    }

    [Fact]
    public async Task Open_tasks_survive_when_the_member_that_accepted_them_leaves_with_the_coordinator()
    {
        // No workers yet: node-0 (the oldest, so the coordinator) and node-1 may coordinate, node-2 only takes readings.
        await using var cluster = await TestCluster.StartAsync(3, configure: (i, s) => s with
        {
            Roles = i switch { 0 or 1 => ["edge", "coordinator"], 2 => ["edge"], _ => ["edge", "inference"] },
        });
        var readings = Enumerable.Range(1, 10).Select(i => new { device_id = 8, temperature = 20.0 + i % 3, humidity = 50, seq = i });
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/readings/batch", readings)).StatusCode);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var accepted = await cluster[0].Http.PostAsJsonAsync("/api/inference", new { model_type = "anomaly", device_id = 8 });
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            ids.Add((await accepted.ReadJsonAsync()).GetProperty("task_id").GetString()!);
        }
        Assert.Equal(5, (await StatsAsync(cluster[1])).GetProperty("queue").GetProperty("medium").GetInt32());

        // The member that accepted every task and ran the coordinator goes away with all it held in memory.
        var old = cluster[0].Cluster.SelfAddress.ToString();
        await cluster.StopNodeAsync(0);
        await Eventually.AssertAsync(async () =>
            Assert.Equal(cluster[1].Cluster.SelfAddress.ToString(), (await StatsAsync(cluster[1])).GetProperty("coordinator").GetString()),
            TimeSpan.FromSeconds(40));
        Assert.NotEqual(old, cluster[1].Cluster.SelfAddress.ToString());
        // A worker arrives; the new coordinator re-queued the open tasks from the replicated list, and they run.
        await cluster.AddNodeAsync();
        await Eventually.AssertAsync(async () =>
        {
            foreach (var id in ids)
                Assert.Equal("completed", (await (await cluster[2].Http.GetAsync($"/api/inference/{id}")).ReadJsonAsync()).GetProperty("state").GetString());
        }, TimeSpan.FromSeconds(40));
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
