using System.Net;
using System.Net.Http.Json;

namespace EdgeCluster.Tests.Cluster;

[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.InProcessClusterCollection.Name)]
public sealed class RegistrySpecs
{
    [Fact]
    public async Task A_device_registered_on_one_member_is_usable_on_every_member()
    {
        await using var cluster = await TestCluster.StartAsync(3, autoRegister: false);
        await cluster[0].RegisterAsync(11, "ESP32_11");

        await Eventually.AssertAsync(async () =>
        {
            var response = await cluster[2].Http.PostAsJsonAsync("/api/reading", new { device_id = 11, temperature = 21.0, humidity = 40 });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                var device = await (await node.Http.GetAsync("/api/devices/11")).ReadJsonAsync();
                Assert.Equal("ESP32_11", device.GetProperty("name").GetString());
            }
        });
    }

    [Fact]
    public async Task Concurrent_changes_on_two_members_end_as_the_same_entry_everywhere()
    {
        await using var cluster = await TestCluster.StartAsync(3, autoRegister: false);
        await Task.WhenAll(
            cluster[0].Http.PostAsJsonAsync("/api/devices", new { device_id = 12, name = "ESP32_12", location = "Greenhouse" }),
            cluster[1].Http.PostAsJsonAsync("/api/devices", new { device_id = 12, name = "ESP32_12", location = "Attic" }));

        await Eventually.AssertAsync(async () =>
        {
            var locations = new List<string?>();
            foreach (var node in cluster.Running)
                locations.Add((await (await node.Http.GetAsync("/api/devices/12")).ReadJsonAsync()).GetProperty("location").GetString());
            Assert.Single(locations.Distinct());
        });
    }

    [Fact]
    public async Task Latest_gives_the_newest_reading_of_every_device_the_same_on_every_member()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var now = DateTimeOffset.UtcNow;
        await cluster[0].Http.PostAsJsonAsync("/api/reading", new { device_id = 21, temperature = 18.0, humidity = 40, timestamp = now.AddMinutes(-2).ToString("O") });
        await cluster[1].Http.PostAsJsonAsync("/api/reading", new { device_id = 21, temperature = 19.0, humidity = 40, timestamp = now.AddMinutes(-1).ToString("O") });
        await cluster[1].Http.PostAsJsonAsync("/api/reading", new { device_id = 22, temperature = 25.0, humidity = 40 });

        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
            {
                var latest = await (await node.Http.GetAsync("/api/latest")).ReadJsonAsync();
                var byDevice = latest.GetProperty("readings").EnumerateArray()
                    .ToDictionary(r => r.GetProperty("device_id").GetInt32(), r => r.GetProperty("temperature").GetDouble());
                Assert.Equal(new Dictionary<int, double> { [21] = 19.0, [22] = 25.0 }, byDevice);
            }
        });
    }
}
