using System.Collections;
using System.Diagnostics;
using EdgeCluster.Node;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Node;

public sealed class NodeSettingsTests
{
    private static NodeSettings Load(string[] args, Dictionary<string, string>? env = null, Dictionary<string, string?>? app = null) =>
        NodeSettings.Load(args, new Hashtable(env ?? new Dictionary<string, string>()), app);

    [Fact]
    public void Defaults_are_the_labs_ports_and_a_data_folder()
    {
        var s = Load([]);
        Assert.Equal(5000, s.HttpPort);
        Assert.Equal(4053, s.AkkaPort);
        Assert.Equal("data", s.DataDir);
        Assert.Empty(s.Seeds);
        Assert.False(s.AutoRegister);
        Assert.Equal(System.Net.Dns.GetHostName(), s.NodeName);
    }

    [Fact]
    public void Switches_win_over_environment_which_wins_over_appsettings()
    {
        var s = Load(["--http-port", "6001", "--seeds=pi-1:4053,pi-2:4053", "--auto-register"],
            new() { ["EDGE_HTTP_PORT"] = "6000", ["EDGE_NODE_NAME"] = "pi-9", ["EDGE_DATA_DIR"] = "/srv/edge", ["PATH"] = "/bin" },
            new() { ["NodeName"] = "from-appsettings", ["AkkaPort"] = "4100" });
        Assert.Equal(6001, s.HttpPort);
        Assert.Equal("pi-9", s.NodeName);
        Assert.Equal("/srv/edge", s.DataDir);
        Assert.Equal(4100, s.AkkaPort);
        Assert.Equal(["pi-1:4053", "pi-2:4053"], s.Seeds);
        Assert.True(s.AutoRegister);
    }

    [Fact]
    public void The_appsettings_file_takes_lists_as_arrays_and_flags_take_the_usual_spellings()
    {
        using var dir = new TempDir();
        var file = dir.File("appsettings.json");
        File.WriteAllText(file, """{ "Edge": { "Seeds": ["pi-1:4053", "pi-2:4053"], "Roles": ["edge"], "HttpPort": 5050 } }""");
        var s = NodeSettings.Load([], new Hashtable { ["EDGE_AUTO_REGISTER"] = "yes", ["EDGE_REPLICATION_INTERVAL_MS"] = "250" }, file);
        Assert.Equal(["pi-1:4053", "pi-2:4053"], s.Seeds);
        Assert.Equal(["edge"], s.Roles);
        Assert.Equal(5050, s.HttpPort);
        Assert.True(s.AutoRegister);
        Assert.Equal(250, s.ReplicationIntervalMs);
        // A switch's list replaces the file's whole list.
        Assert.Equal(["pi-3:4053"], NodeSettings.Load(["--seeds", "pi-3:4053"], new Hashtable(), file).Seeds);
        var bad = Assert.Throws<SettingsException>(() => NodeSettings.Load([], new Hashtable { ["EDGE_AUTO_REGISTER"] = "perhaps" }, file));
        Assert.Equal("--auto-register 'perhaps' must be true or false", bad.Message);
    }

    [Fact]
    public void Profile_admin_token_and_inference_settings_come_from_switches_and_environment()
    {
        var s = Load(["--profile", "cp", "--heartbeat-interval-ms", "500", "--inference-queue", "50", "--fair-share-slack", "0"],
            new() { ["EDGE_ADMIN_TOKEN"] = "s3cret", ["EDGE_HEARTBEAT_TIMEOUT_MS"] = "2000" });
        Assert.Equal(("cp", "s3cret", 500, 2000, 50, 0),
            (s.Profile, s.AdminToken, s.HeartbeatIntervalMs, s.HeartbeatTimeoutMs, s.InferenceQueue, s.FairShareSlack));
        Assert.Equal(4, Load([]).FairShareSlack);
        var e = Assert.Throws<SettingsException>(() => Load(["--heartbeat-interval-ms", "5000", "--heartbeat-timeout-ms", "1000"]));
        Assert.Equal("--heartbeat-timeout-ms (1000) must be longer than --heartbeat-interval-ms (5000)", e.Message);
        Assert.Throws<SettingsException>(() => Load(["--profile", "../etc"]));
    }

    [Fact]
    public void An_unknown_profile_stops_the_node_naming_the_profiles_there_are()
    {
        using var dir = new TempDir();
        var settings = new NodeSettings { Profile = "quorum", DataDir = dir.Path, HttpPort = 0, AkkaPort = 0 };
        var e = Assert.Throws<SettingsException>(() => NodeHost.Build(settings));
        Assert.Contains("--profile 'quorum' not found", e.Message);
        Assert.Contains("ap, cp, default", e.Message);
    }

    [Fact]
    public void A_node_that_rejoins_asks_every_member_it_has_seen_but_never_itself()
    {
        var settings = new NodeSettings { AkkaHost = "127.0.0.1", AkkaPort = 4055, Seeds = ["127.0.0.1:4053", "127.0.0.1:4055"] };
        var runtime = new NodeRuntime();
        var self = new Akka.Actor.Address("akka.trttl.tcp", "edgecluster", "127.0.0.1", 4055);
        runtime.SawMembers([new Akka.Actor.Address("akka.trttl.tcp", "edgecluster", "127.0.0.1", 4054), self], self);
        runtime.SawMembers([new Akka.Actor.Address("akka.trttl.tcp", "edgecluster", "127.0.0.1", 4056)], self);
        // The first seed that joined itself at the start must not do so again: it would found a second cluster.
        Assert.Equal(["127.0.0.1:4054", "127.0.0.1:4056", "127.0.0.1:4053"], NodeRunner.RejoinSeeds(settings, runtime));
    }

    [Theory]
    [InlineData(new[] { "--http-port", "abc" }, "--http-port 'abc' is not a port number (0-65535)")]
    [InlineData(new[] { "--akka-port", "70000" }, "--akka-port '70000' is not a port number (0-65535)")]
    [InlineData(new[] { "--seeds", "pi-1" }, "--seeds entry 'pi-1' must be host:port")]
    [InlineData(new[] { "--node-name", "pi 1" }, "--node-name 'pi 1' must be 1-64 letters, digits, '-', '_' or '.'")]
    [InlineData(new[] { "--verbose" }, "unknown option '--verbose'")]
    [InlineData(new[] { "--data-dir" }, "option --data-dir needs a value")]
    public void Settings_that_cannot_work_are_named_in_one_line(string[] args, string message)
    {
        var error = Assert.Throws<SettingsException>(() => Load(args));
        Assert.StartsWith(message, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_lab_file_gives_each_node_its_shared_and_own_settings_and_switches_still_win()
    {
        var lab = Repository.File("cluster-config", "labs", "loopback.json");
        var n2 = Load(["--lab", lab, "--node-name", "n2"]);
        Assert.Equal(5001, n2.HttpPort);
        Assert.Equal(4054, n2.AkkaPort);
        Assert.Equal("data/n2", n2.DataDir);
        Assert.Equal(["127.0.0.1:4053", "127.0.0.1:4054"], n2.Seeds);
        Assert.Equal(["edge", "coordinator", "inference"], n2.Roles);

        var overridden = Load(["--lab", lab, "--node-name", "n3", "--http-port", "7000"]);
        Assert.Equal(7000, overridden.HttpPort);
        Assert.Equal(["edge", "inference"], overridden.Roles);

        var error = Assert.Throws<SettingsException>(() => Load(["--lab", lab, "--node-name", "n9"]));
        Assert.Contains("its nodes: n1, n2, n3", error.Message);
    }

    [Fact]
    public void A_lab_file_names_the_node_by_its_host_name_without_a_switch_and_is_found_through_EDGE_LAB()
    {
        using var dir = new TempDir();
        var host = System.Net.Dns.GetHostName();
        var lab = dir.File("lab.json");
        File.WriteAllText(lab, $$"""
            { "Shared": { "Seeds": "127.0.0.1:4153", "AkkaHost": "127.0.0.1" },
              "Nodes": { "{{host}}": { "AkkaPort": 4153, "HttpPort": 5150 }, "other": { "AkkaPort": 4154, "HttpPort": 5151 } } }
            """);
        var byHostName = Load(["--lab", lab]);
        Assert.Equal(host, byHostName.NodeName);
        Assert.Equal(5150, byHostName.HttpPort);
        var byVariable = Load([], new() { ["EDGE_LAB"] = lab, ["EDGE_NODE_NAME"] = "other" });
        Assert.Equal(5151, byVariable.HttpPort);
        Assert.Equal(["127.0.0.1:4153"], byVariable.Seeds);
    }

    [Fact]
    public void A_lab_file_whose_seeds_are_not_its_own_nodes_is_refused()
    {
        using var dir = new TempDir();
        var lab = dir.File("lab.json");
        File.WriteAllText(lab, """
            { "Shared": { "Seeds": "pi-1.local:4053,pi-9.local:4053", "AkkaPort": 4053 },
              "Nodes": { "pi-1": { "AkkaPublicHost": "pi-1.local" }, "pi-2": { "AkkaPublicHost": "pi-2.local" } } }
            """);
        var error = Assert.Throws<SettingsException>(() => Load(["--lab", lab, "--node-name", "pi-1"]));
        Assert.Contains("seeds from 'pi-9.local:4053', which is none of the lab's nodes", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("loopback.json")]
    [InlineData("pi-3.json")]
    [InlineData("pi-5.json")]
    public void Every_node_of_every_shipped_lab_file_has_settings_a_node_accepts(string file)
    {
        var path = Repository.File("cluster-config", "labs", file);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path),
            new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip });
        var names = doc.RootElement.GetProperty("Nodes").EnumerateObject().Select(n => n.Name).ToList();
        Assert.True(names.Count >= 3);
        var all = names.Select(name => Load(["--lab", path, "--node-name", name])).ToList();
        Assert.All(all, s => Assert.NotEmpty(s.Seeds));
        Assert.Equal(all.Count, all.Select(s => $"{s.AkkaPublicHost ?? s.AkkaHost}:{s.AkkaPort}").Distinct().Count());
        // The Pi shelves keep an SD card from filling with the lab's tiers; the loopback lab keeps everything.
        Assert.All(all, s => Assert.Equal(file.StartsWith("pi-") ? "hot=24h,warm=7d,cold=30d,archive=parquet,every=1m" : null, s.RetentionPolicy()?.ToString()));
    }

    [Fact]
    public async Task The_node_refuses_a_read_model_of_another_layout_with_one_line()
    {
        using var dir = new TempDir();
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={dir.File("readings.db")};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            cmd.CommandText = "CREATE TABLE sensor_readings (reading_id INTEGER PRIMARY KEY, device_id INTEGER, timestamp TEXT)";
            cmd.ExecuteNonQuery();
        }
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--data-dir", dir.Path,
            "--http-port", "0", "--akka-port", "0"]);
        var (exitCode, _, stderr) = await ProcessRun.ToExitAsync(info);
        Assert.Equal(1, exitCode);
        Assert.Contains("has layout 0, this node writes layout 5", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task The_node_stops_at_start_with_one_line_when_its_HTTP_port_is_taken()
    {
        using var dir = new TempDir();
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--data-dir", dir.Path,
            "--http-host", "127.0.0.1", "--http-port", port.ToString(), "--akka-port", "0"]);
        var (exitCode, _, stderr) = await ProcessRun.ToExitAsync(info);
        taken.Stop();
        Assert.Equal(1, exitCode);
        Assert.Contains($"HTTP port {port} is already in use (set --http-port)", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    /// <summary>
    /// A port another node listens on is taken too: a node's listening socket allows the address to be reused (so a node
    /// started again binds at once) but not shared (.NET's ReuseAddress also sets SO_REUSEPORT, and a second node on the
    /// same port started beside the first, the kernel sharing the connections between them).
    /// </summary>
    [Fact]
    public async Task The_node_stops_at_start_when_another_node_listens_on_its_HTTP_port()
    {
        using var dir = new TempDir();
        using var first = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Tcp);
        // What a node of the version before did: ReuseAddress, which on Linux is SO_REUSEADDR and SO_REUSEPORT.
        first.SetSocketOption(System.Net.Sockets.SocketOptionLevel.Socket, System.Net.Sockets.SocketOptionName.ReuseAddress, true);
        first.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        first.Listen();
        var port = ((System.Net.IPEndPoint)first.LocalEndPoint!).Port;
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--data-dir", dir.Path,
            "--http-host", "127.0.0.1", "--http-port", port.ToString(), "--akka-port", "0", "--mqtt-port", "0"]);
        var (exitCode, _, stderr) = await ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains($"HTTP port {port} is already in use (set --http-port)", stderr);
    }

    /// <summary>
    /// The same for the Akka port, which Akka.Remote binds itself (and shares, as .NET's ReuseAddress does on Linux): a
    /// second node given a running node's Akka port stops at start instead of answering beside it.
    /// </summary>
    [Fact]
    public async Task The_node_stops_at_start_when_another_node_listens_on_its_Akka_port()
    {
        using var dir = new TempDir();
        using var first = await NodeProcess.StartAsync(dir.File("first"), "first", 0, 0, "--mqtt-port", "0");
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--data-dir", dir.File("second"),
            "--http-host", "127.0.0.1", "--http-port", "0", "--akka-host", "127.0.0.1", "--akka-port", first.AkkaPort.ToString(), "--mqtt-port", "0"]);
        var (exitCode, _, stderr) = await ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(60));
        Assert.Equal(1, exitCode);
        Assert.Contains($"Akka port {first.AkkaPort} is already in use (set --akka-port)", stderr);
        Assert.False(first.HasExited);
        Assert.True((await first.Http.GetAsync("/healthz")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task The_node_stops_at_start_with_one_clear_line_for_a_bad_setting()
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"), "--http-port", "abc"]);
        var (exitCode, _, stderr) = await ProcessRun.ToExitAsync(info);
        Assert.Equal(2, exitCode);
        Assert.Equal("edgecluster: --http-port 'abc' is not a port number (0-65535)", stderr.Trim());
    }

    [Fact]
    public void Replication_push_is_off_unless_turned_on()
    {
        Assert.True(Load([]).ReplicationPush);
        Assert.True(Load(["--replication-push", "on"]).ReplicationPush);
        Assert.False(Load(["--replication-push", "off"]).ReplicationPush);
        Assert.False(Load([], new() { ["EDGE_REPLICATION_PUSH"] = "false" }).ReplicationPush);
        Assert.Equal("--replication-push 'sometimes' must be true or false", Assert.Throws<SettingsException>(() => Load(["--replication-push", "sometimes"])).Message);
    }
}
