using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// Three real node processes on loopback. Readings go round-robin to all three, a client retrying
/// on the next member when one does not answer; one member is killed with SIGKILL and restarted.
/// Afterwards every member returns the same readings for every device: none missing, none doubled.
/// </summary>
[Trait("Category", "Slow")]
[Collection(EdgeCluster.Tests.Support.MultiNodeCollection.Name)]
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const int Devices = 3;
    private const int ReadingsPerDevice = 150;

    [Fact]
    public async Task Every_member_returns_the_same_readings_after_one_was_killed_and_restarted()
    {
        using var cluster = await ProcessCluster.StartAsync(3, "n", "--auto-register", "--replication-interval-ms", "200");
        try
        {
            var http = cluster.HttpPorts.ToArray();
            var acknowledged = new ConcurrentDictionary<(int Device, long Seq), bool>();
            var posting = Task.Run(async () =>
            {
                for (var seq = 1; seq <= ReadingsPerDevice; seq++)
                for (var device = 1; device <= Devices; device++)
                    await PostWithFailoverAsync(http, (seq * Devices + device) % 3, device, seq, acknowledged);
            });

            await Eventually.AssertAsync(() =>
            {
                Assert.True(acknowledged.Count >= Devices * ReadingsPerDevice / 3, $"only {acknowledged.Count} readings acknowledged so far");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(60));
            cluster.Kill(2);
            var atKill = acknowledged.Count;
            output.WriteLine($"n2 killed after {atKill} acknowledged readings");
            // The boards fail over: readings keep being acknowledged by the other two while n2 is down.
            await Eventually.AssertAsync(() =>
            {
                Assert.True(acknowledged.Count >= atKill + 50, $"{acknowledged.Count - atKill} readings acknowledged since n2 was killed");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(60));
            await cluster.RestartAsync(2);
            await posting;
            Assert.Equal(Devices * ReadingsPerDevice, acknowledged.Count);

            await Eventually.AssertAsync(async () =>
            {
                for (var device = 1; device <= Devices; device++)
                {
                    var views = new List<string>();
                    foreach (var node in cluster.Running)
                    {
                        var readings = await node.Http.GetFromJsonAsync<ReadingList>($"/api/readings/{device}?limit=10000");
                        var seqs = readings!.Readings.Select(r => r.Seq).ToList();
                        Assert.Equal(seqs.Count, seqs.Distinct().Count());
                        Assert.Equal(Enumerable.Range(1, ReadingsPerDevice).Select(i => (long)i), seqs.Order());
                        views.Add(string.Join(";", readings.Readings.OrderBy(r => r.Seq)
                            .Select(r => $"{r.Seq}:{r.Temperature}:{r.OriginNode}:{r.OriginSeq}")));
                    }
                    Assert.Equal(3, views.Count);
                    Assert.Single(views.Distinct());
                }
            }, TimeSpan.FromSeconds(60));
        }
        finally
        {
            output.WriteLine(cluster.LogTails());
        }
    }

    private static Task<HttpResponseMessage> PostStrongAsync(NodeProcess node, int device, long seq) =>
        node.Http.PostAsJsonAsync("/api/reading?consistency=strong", new { device_id = device, temperature = 20.0, humidity = 50, seq });

    private static async Task<IReadOnlyList<long>> SeqsAsync(NodeProcess node, int device)
    {
        var response = await node.Http.GetAsync($"/api/readings/{device}?limit=1000");
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<ReadingList>(new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web));
        return page!.Readings.Select(r => r.Seq).ToList();
    }

    [Fact]
    public async Task A_strong_reading_on_a_member_that_knows_it_is_cut_off_is_refused_before_anything_is_stored()
    {
        using var cluster = await ProcessCluster.StartAsync(3, "r", "--auto-register", "--profile", "ap");
        Assert.Equal(HttpStatusCode.OK, (await PostStrongAsync(cluster[0], 1, 1)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "r2" })).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            var view = await (await cluster[2].Http.GetAsync("/api/cluster")).ReadJsonAsync();
            Assert.Equal(2, view.GetProperty("members").EnumerateArray().Count(m => !m.GetProperty("reachable").GetBoolean()));
        }, TimeSpan.FromSeconds(30));

        var timer = System.Diagnostics.Stopwatch.StartNew();
        var refused = await PostStrongAsync(cluster[2], 1, 2);
        output.WriteLine($"answered {(int)refused.StatusCode} after {timer.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var body = await refused.ReadJsonAsync();
        Assert.Contains("nothing was stored", body.GetProperty("error").GetString());
        Assert.Equal(3, body.GetProperty("members").GetInt32());
        Assert.Equal(2, body.GetProperty("required").GetInt32());
        Assert.Equal(0, body.GetProperty("acknowledged").GetInt32());
        Assert.DoesNotContain(2L, await SeqsAsync(cluster[2], 1));

        // Eventual writes go on being accepted on the isolated member.
        Assert.Equal(HttpStatusCode.OK, (await cluster[2].Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 20.0, humidity = 50, seq = 3 })).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running) Assert.Equal([1L, 3L], (await SeqsAsync(node, 1)).Order());
        }, TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task A_strong_reading_not_confirmed_in_time_stays_on_its_member_reaches_the_others_after_the_heal_and_a_retry_is_a_duplicate()
    {
        using var cluster = await ProcessCluster.StartAsync(3, "u", "--auto-register", "--profile", "ap");
        Assert.Equal(HttpStatusCode.OK, (await PostStrongAsync(cluster[0], 1, 1)).StatusCode);
        // Cut u2 off and write at once, before its failure detector has noticed: it still counts a majority reachable,
        // stores the reading, and waits for confirmations the cut swallows.
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "u2" })).StatusCode);
        var unconfirmed = await PostStrongAsync(cluster[2], 1, 5);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unconfirmed.StatusCode);
        var body = await unconfirmed.ReadJsonAsync();
        Assert.Contains("not confirmed", body.GetProperty("error").GetString());
        Assert.Contains("stored on this member", body.GetProperty("error").GetString());
        Assert.True(body.GetProperty("acknowledged").GetInt32() < body.GetProperty("required").GetInt32());
        Assert.Contains(5L, await SeqsAsync(cluster[2], 1));
        Assert.DoesNotContain(5L, await SeqsAsync(cluster[0], 1));

        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running) Assert.Contains(5L, await SeqsAsync(node, 1));
        }, TimeSpan.FromSeconds(40));

        // The board retries the same seq: stored once, answered as a duplicate.
        var retry = await PostStrongAsync(cluster[2], 1, 5);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.True((await retry.ReadJsonAsync()).GetProperty("duplicate").GetBoolean());
        foreach (var node in cluster.Running) Assert.Single(await SeqsAsync(node, 1), seq => seq == 5);
    }

    [Fact]
    public async Task Under_the_default_profile_a_cut_off_member_is_downed_starts_again_rejoins_after_the_heal_and_loses_nothing()
    {
        using var cluster = await ProcessCluster.StartAsync(3, "d", "--auto-register", "--replication-interval-ms", "200");
        var pid = cluster[2].Pid;
        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsJsonAsync("/api/admin/partition/isolate", new { member = "d2" })).StatusCode);

        // The cut-off member keeps taking eventual readings while the split brain resolver downs it and it starts again.
        // A reading in flight the instant its actor system stops is answered 503 "retry with the same seq": the next try
        // sends that seq again, as a board does; the seq moves on only once one is acknowledged.
        var seq = 0;
        var incarnation = 1;
        await Eventually.AssertAsync(async () =>
        {
            var post = await cluster[2].Http.PostAsJsonAsync("/api/reading", new { device_id = 4, temperature = 20.0, humidity = 50, seq = seq + 1 });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            seq++;
            incarnation = (await (await cluster[2].Http.GetAsync("/api/admin/links")).ReadJsonAsync()).GetProperty("incarnation").GetInt32();
            Assert.True(incarnation >= 2, $"d2 runs actor system {incarnation}");
        }, TimeSpan.FromSeconds(60));
        output.WriteLine($"d2 downed and started again after {seq} readings");
        Assert.Equal(HttpStatusCode.OK, (await cluster[2].Http.PostAsJsonAsync("/api/reading", new { device_id = 4, temperature = 20.0, humidity = 50, seq = ++seq })).StatusCode);

        // It started again in a fresh image of the same process (same pid, same HTTP socket), and what it must remember
        // came along: the links it had cut (it stays cut off until the heal) and its log lines from before.
        Assert.False(cluster[2].HasExited);
        Assert.Equal(pid, cluster[2].Pid);
        Assert.Contains("in a fresh image of this process", cluster[2].Log);
        var links = await (await cluster[2].Http.GetAsync("/api/admin/links")).ReadJsonAsync();
        Assert.Equal(2, links.GetProperty("links").GetArrayLength());
        var logs = await (await cluster[2].Http.GetAsync("/api/admin/logs?last=2000")).ReadJsonAsync();
        Assert.Contains(logs.GetProperty("lines").EnumerateArray(), l => l.GetProperty("text").GetString()!.Contains("starting again to rejoin"));

        Assert.Equal(HttpStatusCode.OK, (await cluster[0].Http.PostAsync("/api/admin/partition/heal", null)).StatusCode);
        await cluster.WaitForUpAsync(cluster[0], 3);
        await Eventually.AssertAsync(async () =>
        {
            foreach (var node in cluster.Running)
                Assert.Equal(Enumerable.Range(1, seq).Select(i => (long)i), (await SeqsAsync(node, 4)).Order());
        }, TimeSpan.FromSeconds(60));

        // While its links were cut it asked no one to let it join, only once they were healed; and the heal took it back
        // without downing anyone else: the majority's members still run their first actor system, and a few seconds on
        // (the failure detectors' verdict on the new links) every member still sees three Up and reachable.
        var log = cluster[2].Log;
        Assert.Contains("still cut: joining once they are healed", log);
        var joined = log.LastIndexOf("Links healed: joining through", StringComparison.Ordinal);
        Assert.True(joined > log.LastIndexOf("still cut: joining once they are healed", StringComparison.Ordinal), cluster.LogTails());
        Assert.True(joined > log.LastIndexOf("Links healed to", StringComparison.Ordinal), cluster.LogTails());
        await Task.Delay(TimeSpan.FromSeconds(5));
        foreach (var node in cluster.Running)
        {
            var view = await (await node.Http.GetAsync("/api/cluster")).ReadJsonAsync();
            Assert.Equal(3, view.GetProperty("members").EnumerateArray().Count(m =>
                m.GetProperty("status").GetString() == "Up" && m.GetProperty("reachable").GetBoolean()));
        }
        for (var i = 0; i < 2; i++)
            Assert.Equal(1, (await (await cluster[i].Http.GetAsync("/api/admin/links")).ReadJsonAsync()).GetProperty("incarnation").GetInt32());
    }

    private sealed record ReadingList(List<StoredReading> Readings);

    private sealed record StoredReading(long Seq, double Temperature,
        [property: System.Text.Json.Serialization.JsonPropertyName("origin_node")] string OriginNode,
        [property: System.Text.Json.Serialization.JsonPropertyName("origin_seq")] long OriginSeq);

    // As a board does: the same seq to the next member until one acknowledges it.
    private static async Task PostWithFailoverAsync(int[] http, int first, int device, long seq,
        ConcurrentDictionary<(int, long), bool> acknowledged)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var port = http[(first + attempt) % http.Length];
            try
            {
                var response = await client.PostAsJsonAsync($"http://127.0.0.1:{port}/api/reading",
                    new { device_id = device, temperature = 20 + seq % 7, humidity = 50, seq });
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged[(device, seq)] = true;
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"device {device} seq {seq} was never acknowledged");
    }
}
