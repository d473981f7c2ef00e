using System.Net.Http.Json;
using System.CommandLine;
using EdgeCluster.Cli;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>edgectl's help, usage errors, interactive session and log commands, as a user meets them.</summary>
[Trait("Category", "Slow")]
[Collection(SingleNodeProcessCollection.Name)]
public sealed class EdgectlCommandLineTests
{
    /// <summary>Every command's help lists each of its options and arguments, as declared.</summary>
    [Fact]
    public async Task Every_command_help_lists_every_option_and_argument_it_accepts()
    {
        var commands = new List<(string Path, Command Command)>();
        void Walk(Command c, string path)
        {
            foreach (var sub in c.Subcommands)
            {
                var subPath = (path + " " + sub.Name).Trim();
                commands.Add((subPath, sub));
                Walk(sub, subPath);
            }
        }
        Walk(Edgectl.Build(), "");
        Assert.True(commands.Count >= 25, $"only {commands.Count} commands declared");
        foreach (var (path, command) in commands)
        {
            var help = await EdgectlProcess.RunAsync([.. path.Split(' '), "--help"]);
            Assert.True(help.ExitCode == 0, $"{path}: {help}");
            foreach (var option in command.Options.Where(o => !o.Hidden)) Assert.Contains(option.Name, help.Out);
            foreach (var argument in command.Arguments) Assert.Contains($"<{argument.Name}>", help.Out);
        }
    }

    [Fact]
    public async Task Options_that_were_accepted_but_not_listed_are_in_the_help_now()
    {
        var experiment = (await EdgectlProcess.RunAsync("experiment", "--help")).Out;
        foreach (var option in new[] { "--strong-every", "--dir", "--http-port", "--akka-port", "--nemesis-command", "--targets", "--keep" })
            Assert.Contains(option, experiment);
        Assert.Contains("--node-args", (await EdgectlProcess.RunAsync("lab", "up", "--help")).Out);
        Assert.Contains("--timeout", (await EdgectlProcess.RunAsync("cluster", "show", "--help")).Out);
    }

    [Fact]
    public async Task Wrong_commands_and_values_exit_2_with_a_hint()
    {
        var none = await EdgectlProcess.RunAsync();
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("Commands:", none.Out);
        var unknown = await EdgectlProcess.RunAsync("frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'frobnicate' is neither a command nor a member's host:port", unknown.Err);
        var badOption = await EdgectlProcess.RunAsync("lab", "up", "--nodes", "twelve");
        Assert.Equal(2, badOption.ExitCode);
        Assert.Contains("--nodes 'twelve' must be a whole number from 1 to 9", badOption.Err);
        Assert.Contains("edgectl lab up --help", badOption.Err);
        var badChoice = await EdgectlProcess.RunAsync("127.0.0.1:1", "kv", "get", "k", "--resolve", "newest");
        Assert.Equal(2, badChoice.ExitCode);
        Assert.Contains("newest", badChoice.Err);
        var noMember = await EdgectlProcess.RunAsync("cluster", "show");
        Assert.Equal(2, noMember.ExitCode);
        Assert.Contains("name a member first", noMember.Err);
    }

    [Fact]
    public async Task A_member_alone_opens_a_session_that_runs_one_command_per_line_and_the_log_commands_read_its_log()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, "session-node", autoRegister: true);
        await node.PostReadingAsync(5, 21.5, 40, seq: 1);
        var member = node.Http.BaseAddress!.Authority;

        var session = await EdgectlProcess.RunWithInputAsync(
            "cluster show\nreadings tail 5 --for 0\n\nkv put door open\nkv get door\nlog peek 200\nhelp\nexit\ncluster leader\n", member);
        Assert.True(session.ExitCode == 0, session.ToString());
        Assert.Contains("session-node", session.Out);
        Assert.Contains("(this member)", session.Out);
        Assert.Contains("21.5 C", session.Out);
        Assert.Contains("door = open", session.Out);
        Assert.Contains("open", session.Out.Split('\n').Select(l => l.Trim()));
        Assert.Contains("Node session-node ready", session.Out);
        Assert.Contains("Commands:", session.Out);
        // Nothing after exit runs: cluster leader would print "<address> (session-node)".
        Assert.DoesNotContain("(session-node)", session.Out);

        var wrong = await EdgectlProcess.RunWithInputAsync("cluster explode\ncluster show\n", member);
        Assert.Equal(0, wrong.ExitCode);
        Assert.Contains("unknown cluster command 'explode'", wrong.Err);
        Assert.Contains("session-node", wrong.Out);

        var peek = await EdgectlProcess.RunAsync(member, "log", "peek", "500", "--json");
        Assert.True(peek.ExitCode == 0, peek.ToString());
        Assert.Contains("\"level\"", peek.Out);
        var tail = await EdgectlProcess.RunAsync(member, "log", "tail", "--for", "1");
        Assert.True(tail.ExitCode == 0, tail.ToString());
    }

    [Fact]
    public async Task Json_output_is_what_the_member_answered()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, "json-node", autoRegister: true);
        var member = node.Http.BaseAddress!.Authority;
        var options = EdgeCluster.Contracts.ApiJson.Options;

        var post = await EdgectlProcess.RunAsync(member, "readings", "post", "9", "21.5", "40", "--seq", "3", "--json");
        Assert.True(post.ExitCode == 0, post.ToString());
        var accepted = System.Text.Json.JsonSerializer.Deserialize<EdgeCluster.Contracts.ReadingAccepted>(post.Out, options)!;
        var stored = Assert.Single((await node.Http.GetFromJsonAsync<EdgeCluster.Contracts.ReadingsPage>("/api/readings/9", options))!.Readings);
        Assert.Equal((stored.OriginNode, (long?)stored.OriginSeq, stored.Seq, stored.Temperature), (accepted.OriginNode, accepted.OriginSeq, accepted.Seq, accepted.Temperature));

        // The live stream the dashboard follows: a reading posted while edgectl listens comes out as JSON.
        var listening = EdgectlProcess.RunAsync(member, "events", "--type", "reading", "--for", "6", "--json");
        await Task.Delay(2000);
        await node.PostReadingAsync(10, 22.25, 41, seq: 1);
        var events = await listening;
        Assert.True(events.ExitCode == 0, events.ToString());
        var line = System.Text.Json.JsonDocument.Parse(events.Out.Trim().Split('\n').Last()).RootElement;
        Assert.Equal("reading", line.GetProperty("type").GetString());
        Assert.Equal(22.25, line.GetProperty("data").GetProperty("temperature").GetDouble());

        var tail = await EdgectlProcess.RunAsync(member, "readings", "tail", "9", "--for", "0", "--json");
        Assert.Equal(stored, System.Text.Json.JsonSerializer.Deserialize<EdgeCluster.Contracts.ReadingView>(tail.Out.Trim(), options));

        Assert.Equal(0, (await EdgectlProcess.RunAsync(member, "kv", "put", "door", "{\"open\":true}")).ExitCode);
        var kv = await EdgectlProcess.RunAsync(member, "kv", "get", "door", "--json");
        var printed = System.Text.Json.JsonSerializer.Deserialize<EdgeCluster.Contracts.KeyValueAnswer>(kv.Out, options)!;
        var answered = (await node.Http.GetFromJsonAsync<EdgeCluster.Contracts.KeyValueAnswer>("/api/kv/door", options))!;
        Assert.True(System.Text.Json.JsonElement.DeepEquals(answered.Value!.Value, printed.Value!.Value), kv.Out);
        Assert.Equal(answered.Siblings.Single().Writer, printed.Siblings.Single().Writer);

        await Eventually.AssertAsync(async () =>
        {
            var stats = await EdgectlProcess.RunAsync(member, "coordinator", "stats", "--json");
            Assert.True(stats.ExitCode == 0, stats.ToString());
            var view = System.Text.Json.JsonSerializer.Deserialize<EdgeCluster.Contracts.CoordinatorStatsView>(stats.Out, options)!;
            var direct = (await node.Http.GetFromJsonAsync<EdgeCluster.Contracts.CoordinatorStatsView>("/api/inference/stats", options))!;
            Assert.Equal(direct.Coordinator, view.Coordinator);
            Assert.Equal(1, view.AliveWorkers);
            Assert.Equal(direct.Workers.Select(w => w.WorkerId), view.Workers.Select(w => w.WorkerId));
        });
    }

    /// <summary>
    /// An experiment's lab that does not come up whole is stopped: a node left running would answer on the lab's ports in
    /// the next run (a later lab's member joined it and two clusters stood side by side).
    /// </summary>
    [Fact]
    public async Task An_experiment_whose_lab_does_not_come_up_stops_the_nodes_it_started()
    {
        using var dir = new TempDir();
        // n3's HTTP port is taken: n3 stops while starting, after n1 and n2 are up.
        var (http, mqtt) = (FreePort.Run(3), FreePort.Run(3));
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, http + 2);
        taken.Start();
        var run = await EdgectlProcess.RunAsync("experiment", "--nodes", "3", "--duration", "10", "--dir", dir.File("lab"),
            "--out", dir.File("report"), "--http-port", http.ToString(), "--akka-port", "0", "--mqtt-port", mqtt.ToString());
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("n3 stopped while starting", run.Err);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var port in new[] { http, http + 1 })
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/healthz"));
        Assert.False(File.Exists(Path.Combine(dir.File("lab"), "lab.json")));
    }

    [Fact]
    public void Tab_completion_offers_commands_options_and_member_names()
    {
        var session = new Session("127.0.0.1:1", Edgectl.Build());
        Assert.Contains("partition", session.Complete("pa"));
        Assert.Contains("isolate", session.Complete("partition "));
        Assert.Contains("--consistency", session.Complete("kv put k v --"));
        EdgeCluster.Cli.Commands.CommonOptions.KnownMembers = ["n1", "n2", "n3"];
        Assert.Contains("n3", session.Complete("partition isolate "));
        Assert.Contains("lww", session.Complete("kv get k --resolve "));
    }
}
