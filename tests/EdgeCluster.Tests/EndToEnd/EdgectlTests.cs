using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Cli;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>edgectl against real node processes that `edgectl lab up` started, the way a lab handout uses it.</summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class EdgectlTests
{
    [Fact]
    public async Task A_lab_is_driven_end_to_end_from_the_command_line()
    {
        using var dir = new TempDir();
        var lab = Path.Combine(dir.Path, "lab");
        // Ports 0: every node binds what the OS gives it and the lab records what they bound.
        var up = await EdgectlProcess.RunAsync("lab", "up", "--nodes", "3", "--profile", "ap", "--dir", lab,
            "--http-port", "0", "--akka-port", "0", "--json");
        var nodes = up.ExitCode == 0 ? JsonDocument.Parse(up.Out).RootElement.GetProperty("nodes").EnumerateArray().ToList() : [];
        string N(int i) => $"127.0.0.1:{nodes[i].GetProperty("http_port").GetInt32()}";
        var akka = nodes.Count > 0 ? nodes[0].GetProperty("akka_port").GetInt32() : 0;
        var n1Pid = nodes.Count > 0 ? nodes[0].GetProperty("pid").GetInt32() : 0;
        try
        {
            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.Equal(["n1", "n2", "n3"], nodes.Select(n => n.GetProperty("name").GetString()));
            Assert.All(nodes, n => Assert.NotEqual(0, n.GetProperty("http_port").GetInt32()));

            var show = await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json");
            Assert.Equal(0, show.ExitCode);
            var members = JsonDocument.Parse(show.Out).RootElement.GetProperty("members");
            Assert.Equal(3, members.EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up"));
            var table = await EdgectlProcess.RunAsync(N(1), "cluster", "show");
            Assert.Contains("leader", table.Out);
            Assert.Contains("(this member)", table.Out);
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(2), "cluster", "leader")).ExitCode);

            var post = await EdgectlProcess.RunAsync(N(1), "readings", "post", "7", "21.5", "40", "--seq", "1");
            Assert.True(post.ExitCode == 0, post.ToString());
            Assert.Contains("origin n2", post.Out);
            await Eventually.AssertAsync(async () =>
                Assert.Contains("21.5 C", (await EdgectlProcess.RunAsync(N(2), "readings", "tail", "7", "--for", "0")).Out));

            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(0), "kv", "put", "color", "red")).ExitCode);
            await Eventually.AssertAsync(async () =>
                Assert.Equal("red", (await EdgectlProcess.RunAsync(N(2), "kv", "get", "color")).Out.Trim()));

            // Partition: isolate n3, the strong write on it is refused, heal, the cluster is whole again.
            var partitionEvents = EdgectlProcess.RunAsync(N(2), "events", "--type", "partition", "--for", "4");
            await Task.Delay(1500);
            var isolate = await EdgectlProcess.RunAsync(N(0), "partition", "isolate", "n3");
            Assert.True(isolate.ExitCode == 0, isolate.ToString());
            // The cut member's own stream says which links it cut, at once.
            var cutEvents = await partitionEvents;
            Assert.True(cutEvents.ExitCode == 0, cutEvents.ToString());
            Assert.Contains("links cut to ", cutEvents.Out);
            Assert.Contains("n1 since", cutEvents.Out);
            Assert.Contains("n2 since", cutEvents.Out);
            var status = await EdgectlProcess.RunAsync(N(1), "partition", "status");
            Assert.Contains("partitioned", status.Out);
            Assert.Contains("isolate n3", status.Out);
            await Eventually.AssertAsync(async () =>
                Assert.Contains("n3", (await EdgectlProcess.RunAsync(N(0), "cluster", "unreachable")).Out));
            var strong = await EdgectlProcess.RunAsync(N(2), "kv", "put", "x", "1", "--consistency", "strong");
            Assert.Equal(1, strong.ExitCode);
            Assert.Contains("503", strong.Err);
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(2), "readings", "post", "8", "20", "50", "--seq", "1")).ExitCode);
            // Both sides write one key while cut off: after the heal it has two siblings, and --resolve lww prints the later one.
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(0), "kv", "put", "door", "open")).ExitCode);
            await Task.Delay(50);
            Assert.Equal(0, (await EdgectlProcess.RunAsync(N(2), "kv", "put", "door", "closed")).ExitCode);
            var heal = await EdgectlProcess.RunAsync(N(2), "partition", "heal");
            Assert.True(heal.ExitCode == 0, heal.ToString());
            await Eventually.AssertAsync(async () =>
                Assert.Contains("no unreachable members", (await EdgectlProcess.RunAsync(N(0), "cluster", "unreachable")).Out), TimeSpan.FromSeconds(40));
            await Eventually.AssertAsync(async () =>
                Assert.Contains("20 C", (await EdgectlProcess.RunAsync(N(0), "readings", "tail", "8", "--for", "0")).Out));
            await Eventually.AssertAsync(async () =>
                Assert.Contains("2 concurrent values", (await EdgectlProcess.RunAsync(N(1), "kv", "get", "door")).Out));
            var resolved = await EdgectlProcess.RunAsync(N(1), "kv", "get", "door", "--resolve", "lww");
            Assert.True(resolved.ExitCode == 0, resolved.ToString());
            Assert.Equal("closed", resolved.Out.Split('\n')[0].Trim());
            Assert.DoesNotContain("--resolve lww picks", resolved.Out);

            // Inference through the coordinator singleton.
            using (var client = new HttpClient { BaseAddress = new Uri($"http://{N(0)}") })
                for (var seq = 2; seq <= 12; seq++)
                    (await client.PostAsJsonAsync("/api/reading", new { device_id = 7, temperature = 20 + seq % 3, humidity = 40, seq })).EnsureSuccessStatusCode();
            await Eventually.AssertAsync(async () =>
            {
                var stats = await EdgectlProcess.RunAsync(N(1), "coordinator", "stats");
                Assert.Contains("3 of 3 workers alive", stats.Out);
            });
            var submit = await EdgectlProcess.RunAsync(N(2), "coordinator", "submit", "anomaly", "7", "--priority", "high", "--wait", "10", "--json");
            Assert.True(submit.ExitCode == 0, submit.ToString());
            Assert.Equal("completed", JsonDocument.Parse(submit.Out).RootElement.GetProperty("state").GetString());
            var submitted = JsonDocument.Parse(submit.Out).RootElement.GetProperty("task_id").GetString()!;
            await Eventually.AssertAsync(async () =>
            {
                var results = await EdgectlProcess.RunAsync(N(0), "coordinator", "results", "--since", "600");
                Assert.True(results.ExitCode == 0, results.ToString());
                Assert.Contains(submitted, results.Out);
                Assert.Contains("completed", results.Out);
            });

            // Wrong commands say what is wrong.
            var unknownVerb = await EdgectlProcess.RunAsync(N(0), "cluster", "explode");
            Assert.Equal(2, unknownVerb.ExitCode);
            Assert.Contains("unknown cluster command 'explode'", unknownVerb.Err);
            var unknownMember = await EdgectlProcess.RunAsync(N(0), "partition", "isolate", "n9");
            Assert.Equal(1, unknownMember.ExitCode);
            Assert.Contains("no member 'n9'", unknownMember.Err);
            var badNumber = await EdgectlProcess.RunAsync(N(0), "readings", "post", "7", "warm", "40");
            Assert.Equal(2, badNumber.ExitCode);
            Assert.Contains("temperature 'warm' is not a number", badNumber.Err);
            var nobody = await EdgectlProcess.RunAsync("127.0.0.1:1", "cluster", "show");
            Assert.Equal(1, nobody.ExitCode);
            Assert.Contains("cannot reach", nobody.Err);

            var none = await EdgectlProcess.RunAsync(N(0), "cluster", "down-unreachable");
            Assert.True(none.ExitCode == 0, none.ToString());
            Assert.Contains("no unreachable members to down", none.Out);
            var tail = await EdgectlProcess.RunAsync(N(1), "cluster", "tail", "--for", "1", "--json");
            Assert.Equal(3, tail.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("node_name").GetString()).Distinct().Count());

            // Without --for, tail follows until it is stopped (Ctrl-C): it prints the members and keeps running.
            var follow = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "edgectl.dll"), N(0), "cluster", "tail" }) follow.ArgumentList.Add(a);
            using (var tailing = Process.Start(follow)!)
            {
                var lines = new List<string>();
                for (var i = 0; i < 3; i++) lines.Add(await tailing.StandardOutput.ReadLineAsync() ?? "");
                Assert.All(lines, l => Assert.Contains("Up", l));
                if (tailing.HasExited) Assert.Fail($"tail stopped by itself: {await tailing.StandardError.ReadToEndAsync()}");
                tailing.Kill();
            }

            // Downed by hand, n3 is still running: it starts a new actor system and joins again by itself.
            var downed = await EdgectlProcess.RunAsync(N(0), "cluster", "down", "n3");
            Assert.True(downed.ExitCode == 0, downed.ToString());
            await Eventually.AssertAsync(async () =>
            {
                var links = await EdgectlProcess.RunAsync(N(2), "partition", "status", "--json");
                var self = JsonDocument.Parse(links.Out).RootElement.GetProperty("members").EnumerateArray()
                    .Single(m => m.GetProperty("member").GetString() == "n3");
                Assert.Equal(2, self.GetProperty("state").GetProperty("incarnation").GetInt32());
                var view = JsonDocument.Parse((await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json")).Out).RootElement;
                Assert.Equal(3, view.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up"));
            }, TimeSpan.FromSeconds(60));
            // A node started with a seed nobody answers is joined to the lab by hand.
            // A node that seeds from nobody who answers (port 1): it stays out of the lab until told to join.
            using (var stray = await NodeProcess.StartAsync(Path.Combine(dir.Path, "n4"), "n4", 0, 0, "--profile", "ap", "--seeds", "127.0.0.1:1"))
            {
                var join = await EdgectlProcess.RunAsync($"127.0.0.1:{stray.HttpPort}", "cluster", "join", $"127.0.0.1:{akka}");
                Assert.True(join.ExitCode == 0, join.ToString());
                await Eventually.AssertAsync(async () =>
                {
                    var view = JsonDocument.Parse((await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json")).Out).RootElement;
                    Assert.Contains(view.GetProperty("members").EnumerateArray(), m => m.GetProperty("node_name").GetString() == "n4"
                        && m.GetProperty("status").GetString() == "Up");
                }, TimeSpan.FromSeconds(40));
                Assert.Equal(0, (await EdgectlProcess.RunAsync($"127.0.0.1:{stray.HttpPort}", "cluster", "leave")).ExitCode);
                await Eventually.AssertAsync(async () =>
                {
                    var view = JsonDocument.Parse((await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json")).Out).RootElement;
                    Assert.Equal(3, view.GetProperty("members").GetArrayLength());
                }, TimeSpan.FromSeconds(40));
            }
            var badJoin = await EdgectlProcess.RunAsync(N(0), "cluster", "join", "nowhere");
            Assert.Equal(1, badJoin.ExitCode);
            Assert.Contains("(field address)", badJoin.Err);

            // n3 leaves on request: its process stops and the others see two members.
            var leave = await EdgectlProcess.RunAsync(N(0), "cluster", "leave", "n3");
            Assert.True(leave.ExitCode == 0, leave.ToString());
            var n3 = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(lab, "lab.json"))).RootElement
                .GetProperty("nodes")[2].GetProperty("pid").GetInt32();
            await Eventually.AssertAsync(() =>
            {
                Assert.True(!Lab.Alive(n3), "n3 still runs after leaving");
                return Task.CompletedTask;
            }, TimeSpan.FromSeconds(40));
            await Eventually.AssertAsync(async () =>
            {
                var after = JsonDocument.Parse((await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json")).Out).RootElement;
                Assert.Equal(2, after.GetProperty("members").GetArrayLength());
            });

            // The lab starts n3 again on its data and ports, and it joins the members it left. n1, which formed the
            // cluster, loses its power cord (SIGKILL) and is started again: it joins the others rather than forming a
            // cluster of its own.
            var start = await EdgectlProcess.RunAsync("lab", "start", "n3", "--dir", lab);
            Assert.True(start.ExitCode == 0, start.ToString());
            Assert.Contains("n3 started again", start.Out);
            var again = await EdgectlProcess.RunAsync("lab", "start", "n3", "--dir", lab);
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("n3 is running already", again.Err);
            // n3 is a member again before n1 loses power: killed while n3 was still joining, n1 and n2 would be one Up
            // member each side, and the resolver's tie-break would down n2 (and with it the joining n3), a different story.
            await Eventually.AssertAsync(async () =>
            {
                var view = JsonDocument.Parse((await EdgectlProcess.RunAsync(N(0), "cluster", "show", "--json")).Out).RootElement;
                Assert.Equal(3, view.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up"));
            }, TimeSpan.FromSeconds(60));
            var kill = await EdgectlProcess.RunAsync("lab", "kill", "n1", "--dir", lab);
            Assert.True(kill.ExitCode == 0, kill.ToString());
            Assert.Contains("SIGKILL sent; it stopped", kill.Out);
            Assert.True(!Lab.Alive(n1Pid), "n1 still runs after SIGKILL");
            Assert.Equal(0, (await EdgectlProcess.RunAsync("lab", "start", "n1", "--dir", lab)).ExitCode);
            await Eventually.AssertAsync(async () =>
            {
                foreach (var at in new[] { N(0), N(1), N(2) })
                {
                    var view = JsonDocument.Parse((await EdgectlProcess.RunAsync(at, "cluster", "show", "--json")).Out).RootElement;
                    Assert.Equal(["n1", "n2", "n3"], view.GetProperty("members").EnumerateArray()
                        .Where(m => m.GetProperty("status").GetString() == "Up").Select(m => m.GetProperty("node_name").GetString()).Order());
                }
            }, TimeSpan.FromSeconds(60));
            var unknown = await EdgectlProcess.RunAsync("lab", "kill", "n9", "--dir", lab);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("the lab has no node 'n9'", unknown.Err);
        }
        finally
        {
            var down = await EdgectlProcess.RunAsync("lab", "down", "--dir", lab);
            Assert.True(down.ExitCode == 0, down.ToString());
        }
        Assert.False(File.Exists(Path.Combine(lab, "lab.json")));
    }
}
