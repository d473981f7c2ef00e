using System.Text.Json;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// Acknowledged key-value writes outlive a restart of every member (issue scenario: <c>edgectl lab down</c>, then
/// <c>edgectl lab up</c> on the same folders): a strong write, an eventual write acknowledged by its member alone and
/// stopped before it could spread, and two siblings written on both sides of a cut, with their vector clocks.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class DurableKeyValueTests
{
    [Fact]
    public async Task Every_acknowledged_value_and_sibling_is_there_after_every_member_restarts()
    {
        using var dir = new TempDir();
        var lab = Path.Combine(dir.Path, "lab");
        var nodes = await UpAsync(lab);
        string N(int i) => nodes[i];
        try
        {
            var strong = await EdgectlProcess.RunAsync(N(0), "kv", "put", "setpoint", "21.5", "--consistency", "strong");
            Assert.True(strong.ExitCode == 0, strong.ToString());

            // Siblings: each side of a cut writes the same key; after the heal every member holds both.
            var isolate = await EdgectlProcess.RunAsync(N(0), "partition", "isolate", "n3");
            Assert.True(isolate.ExitCode == 0, isolate.ToString());
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(0), "kv", "put", "door", "open")).ExitCode);
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(2), "kv", "put", "door", "closed")).ExitCode);
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(2), "partition", "heal")).ExitCode);
            await Eventually.AssertAsync(async () =>
            {
                foreach (var member in nodes) Assert.Equal(2, await SiblingsAsync(member, "door"));
            }, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500));
            var before = await ReadAsync(N(1), "door");

            // Acknowledged by its member alone, and the lab goes down at once.
            var eventual = await EdgectlProcess.RunAsync(N(1), "kv", "put", "color", "red");
            Assert.True(eventual.ExitCode == 0, eventual.ToString());
            var down = await EdgectlProcess.RunAsync("lab", "down", "--dir", lab);
            Assert.True(down.ExitCode == 0, down.ToString());

            nodes = await UpAsync(lab);
            foreach (var member in nodes)
            {
                await Eventually.AssertAsync(async () =>
                {
                    Assert.Equal("21.5", (await EdgectlProcess.RunAsync(member, "kv", "get", "setpoint")).Out.Trim());
                    Assert.Equal("red", (await EdgectlProcess.RunAsync(member, "kv", "get", "color")).Out.Trim());
                }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(500));
                var door = await ReadAsync(member, "door");
                Assert.True(JsonElement.DeepEquals(before.GetProperty("siblings"), door.GetProperty("siblings")), $"{member}: {door}");
            }
            var strongRead = await EdgectlProcess.RunAsync(N(2), "kv", "get", "setpoint", "--consistency", "strong");
            Assert.Equal("21.5", strongRead.Out.Trim());
            Assert.True(File.Exists(Path.Combine(lab, "n1", "ddata.db")), "the durable store lives in the member's data folder");
        }
        finally
        {
            await EdgectlProcess.RunAsync("lab", "down", "--dir", lab);
        }
    }

    /// <summary>Starts (or starts again) the 3-member lab in the folder; the members' host:port.</summary>
    private static async Task<List<string>> UpAsync(string lab)
    {
        var up = await EdgectlProcess.RunAsync("lab", "up", "--nodes", "3", "--profile", "ap", "--dir", lab,
            "--http-port", "0", "--akka-port", "0", "--json");
        Assert.True(up.ExitCode == 0, up.ToString());
        return JsonDocument.Parse(up.Out).RootElement.GetProperty("nodes").EnumerateArray()
            .Select(n => $"127.0.0.1:{n.GetProperty("http_port").GetInt32()}").ToList();
    }

    private static async Task<JsonElement> ReadAsync(string member, string key)
    {
        var get = await EdgectlProcess.RunAsync(member, "kv", "get", key, "--json");
        Assert.True(get.ExitCode == 0, get.ToString());
        return JsonDocument.Parse(get.Out).RootElement.Clone();
    }

    private static async Task<int> SiblingsAsync(string member, string key) => (await ReadAsync(member, key)).GetProperty("siblings").GetArrayLength();
}
