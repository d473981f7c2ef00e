using System.Net;
using System.Net.Http.Json;
using System.Text;
using EdgeCluster.Actors.KeyValue;
using EdgeCluster.Domain;

namespace EdgeCluster.Tests.Cluster;

[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class KeyValueSpecs
{
    private static Task<HttpResponseMessage> Put(TestNode node, string key, object value, string consistency = "eventual") =>
        node.Http.PutAsJsonAsync($"/api/kv/{key}?consistency={consistency}", new { value });

    [Fact]
    public async Task Concurrent_writes_on_two_members_are_kept_as_siblings_until_a_later_write_resolves_them()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var writes = await Task.WhenAll(Put(cluster[0], "setpoint", 21.5), Put(cluster[1], "setpoint", new { celsius = 23 }));
        Assert.All(writes, w => Assert.Equal(HttpStatusCode.OK, w.StatusCode));

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
        });

        var lww = await (await cluster[2].Http.GetAsync("/api/kv/setpoint?resolve=lww")).ReadJsonAsync();
        Assert.Equal("lww", lww.GetProperty("resolved").GetString());
        Assert.NotEqual(System.Text.Json.JsonValueKind.Undefined, lww.GetProperty("value").ValueKind);

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
    public async Task A_strong_write_with_every_member_up_is_acknowledged_by_a_majority_and_read_strongly_anywhere()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var write = await Put(cluster[0], "mode", "cp", consistency: "strong");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        var ack = await write.ReadJsonAsync();
        Assert.Equal(2, ack.GetProperty("acknowledged").GetInt32());
        Assert.Equal(3, ack.GetProperty("members").GetInt32());

        var read = await (await cluster[2].Http.GetAsync("/api/kv/mode?consistency=strong")).ReadJsonAsync();
        Assert.Equal("cp", read.GetProperty("value").GetString());
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
