using System.Net;
using System.Net.Http.Json;
using System.Text;
using EdgeCluster.Actors.KeyValue;
using EdgeCluster.Domain;

namespace EdgeCluster.Tests.Cluster;

[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
public sealed class KeyValueSpecs
{
    private static Task<HttpResponseMessage> Put(TestNode node, string key, object value, string consistency = "eventual") =>
        node.Http.PutAsJsonAsync($"/api/kv/{key}?consistency={consistency}", new { value });

    private static async Task CutOffAsync(TestCluster cluster, string member)
    {
        var isolate = await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member });
        Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);
    }

    private static async Task HealAsync(TestCluster cluster) =>
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);

    [Fact]
    public async Task Concurrent_writes_on_two_members_are_kept_as_siblings_until_a_later_write_resolves_them()
    {
        // ap: nobody is downed while node-1 is cut off, so its write and node-0's cannot see each other.
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap");
        await CutOffAsync(cluster, "node-1");
        var first = await Put(cluster[0], "setpoint", 21.5);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstAt = DateTimeOffset.Parse((await first.ReadJsonAsync()).GetProperty("siblings")[0].GetProperty("written_at").GetString()!);
        while (DateTimeOffset.UtcNow <= firstAt.AddMilliseconds(5)) await Task.Delay(1);
        Assert.Equal(HttpStatusCode.OK, (await Put(cluster[1], "setpoint", new { celsius = 23 })).StatusCode);
        await HealAsync(cluster);

        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                var read = await (await node.Http.GetAsync("/api/kv/setpoint")).ReadJsonAsync();
                Assert.True(read.GetProperty("conflict").GetBoolean());
                var siblings = read.GetProperty("siblings").EnumerateArray().ToList();
                Assert.Equal(2, siblings.Count);
                Assert.Equal(["node-0", "node-1"], siblings.Select(s => s.GetProperty("writer").GetString()).Order());
                Assert.Equal(1, siblings[0].GetProperty("vector_clock").GetProperty(siblings[0].GetProperty("writer").GetString()!).GetInt64());
            }
        }, TimeSpan.FromSeconds(40));

        // The last writer wins: node-1 wrote later, and every member picks its value.
        foreach (var node in cluster.Running)
        {
            var lww = await (await node.Http.GetAsync("/api/kv/setpoint?resolve=lww")).ReadJsonAsync();
            Assert.Equal("lww", lww.GetProperty("resolved").GetString());
            Assert.Equal(23, lww.GetProperty("value").GetProperty("celsius").GetInt32());
        }

        Assert.Equal(HttpStatusCode.OK, (await Put(cluster[2], "setpoint", 22)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                var read = await (await node.Http.GetAsync("/api/kv/setpoint")).ReadJsonAsync();
                Assert.False(read.GetProperty("conflict").GetBoolean());
                Assert.Equal(22, read.GetProperty("value").GetInt32());
            }
        });
    }

    [Fact]
    public async Task A_strong_write_is_held_by_a_majority_when_acknowledged_and_refused_on_a_cut_off_member()
    {
        await using var cluster = await TestCluster.StartAsync(3, profile: "ap");
        await CutOffAsync(cluster, "node-2");

        var write = await Put(cluster[0], "mode", "cp", consistency: "strong");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        var ack = await write.ReadJsonAsync();
        Assert.Equal(2, ack.GetProperty("required").GetInt32());
        Assert.Equal(3, ack.GetProperty("members").GetInt32());
        Assert.False(ack.TryGetProperty("acknowledged", out _), "a strong write reports what it required, not a count it did not make");
        // Right after the acknowledgement, with node-2 cut off, node-0 and node-1 both hold it: a local read on node-1 has it.
        var onMajority = await (await cluster[1].Http.GetAsync("/api/kv/mode")).ReadJsonAsync();
        Assert.Equal("cp", onMajority.GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await cluster[2].Http.GetAsync("/api/kv/mode")).StatusCode);

        // The cut-off member refuses a strong write: it cannot reach a majority.
        var refused = await Put(cluster[2], "mode", "ap", consistency: "strong");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var body = await refused.ReadJsonAsync();
        Assert.Equal(2, body.GetProperty("required").GetInt32());
        Assert.False(body.TryGetProperty("acknowledged", out _));

        await HealAsync(cluster);
        await Eventually.AssertAsync(async () =>
        {
            var response = await cluster[2].Http.GetAsync("/api/kv/mode?consistency=strong");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var read = await response.ReadJsonAsync();
            Assert.Contains("cp", read.GetProperty("siblings").EnumerateArray().Select(x => x.GetProperty("value").GetString()));
        }, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Bad_keys_values_and_consistency_get_400_and_a_missing_key_404()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path);
        Assert.Equal("key", (await (await node.Http.PutAsJsonAsync("/api/kv/bad%20key", new { value = 1 })).ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal("consistency", (await (await node.Http.GetAsync("/api/kv/k?consistency=total")).ReadJsonAsync()).GetProperty("field").GetString());
        var noValue = await node.Http.PutAsync("/api/kv/k", new StringContent("{\"v\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal("value", (await noValue.ReadJsonAsync()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("/api/kv/never-written")).StatusCode);
    }

    [Fact]
    public void Registers_round_trip_through_the_chosen_serializer()
    {
        using var system = Akka.Actor.ActorSystem.Create("kv-serializer-check", Akka.Configuration.ConfigurationFactory.ParseString(
            "akka.actor.serializers.edge-replication = \"EdgeCluster.Actors.Replication.ReplicationSerializer, EdgeCluster.Actors\"\n" +
            "akka.actor.serialization-bindings { \"EdgeCluster.Actors.KeyValue.MultiValueRegister, EdgeCluster.Actors\" = edge-replication }"));
        var register = MultiValueRegister.Empty.Write("pi-1", "{\"a\":[1,2]}", 1_780_000_000_000)
            .Merge(MultiValueRegister.Empty.Write("pi-2", "\"x\"", 1_780_000_000_001));
        var serializer = (Akka.Serialization.SerializerWithStringManifest)system.Serialization.FindSerializerFor(register);
        var back = (MultiValueRegister)serializer.FromBinary(serializer.ToBinary(register), serializer.Manifest(register));
        Assert.Equal(register, back);
        Assert.Equal(2, back.Siblings.Count);
    }
}
