using EdgeCluster.Contracts;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli;

/// <summary>
/// `edgectl lab up` / `lab down` / `lab kill` / `lab start`: N node processes on loopback for a laptop lab, each with
/// its own data folder and log under the lab folder (default .edgelab), the state in lab.json so that the other
/// commands find them.
/// </summary>
public static class Lab
{
    /// <summary>A node of the lab: its process, ports, data and log, and the switches it was started with (to start it again).</summary>
    public sealed record LabNode(string Name, int Pid, int HttpPort, int AkkaPort, int MqttPort, string DataDir, string Log, IReadOnlyList<string> Switches)
    {
        public string Http => $"127.0.0.1:{HttpPort}";
    }

    public sealed record LabState(string Profile, IReadOnlyList<LabNode> Nodes);

    /// <summary>
    /// Starts <paramref name="count"/> nodes: n1 first (it forms the cluster), then every other at once, seeded with n1
    /// (and n2, when the ports are fixed and so known before it answers); a member that later rejoins seeds itself with
    /// every member it has seen. A base port of 0 lets the OS choose each node's port; the node's ready line says which.
    /// When it fails, what did start is recorded for <c>lab down</c> (a node still starting included); with
    /// <paramref name="stopOnFailure"/> (an experiment's own lab) it is stopped at once, so no node of a failed start
    /// keeps running on the lab's ports into the next run.
    /// </summary>
    public static async Task<LabState> UpAsync(string dir, int count, string profile, int httpBase, int akkaBase, IReadOnlyList<string> nodeArgs,
        int mqttBase = DefaultMqttPort, bool stopOnFailure = false)
    {
        var stateFile = Path.Combine(dir, "lab.json");
        if (File.Exists(stateFile) && Load(dir).Nodes.Any(n => Alive(n.Pid)))
            throw new CliException($"a lab is already running from {dir}; stop it with: edgectl lab down --dir {dir}");
        Directory.CreateDirectory(dir);
        var dll = NodeDll();
        var nodes = new List<LabNode>();
        var starting = new List<LabNode>();
        LabNode Launch(int i, IReadOnlyList<string> seeds)
        {
            var name = $"n{i + 1}";
            var data = Path.Combine(dir, name);
            var log = Path.Combine(dir, $"{name}.log");
            if (File.Exists(log)) File.Delete(log);
            string[] nodeSwitches =
            [
                "--node-name", name, "--http-host", "127.0.0.1", "--http-port", PortFor(httpBase, i).ToString(),
                "--akka-host", "127.0.0.1", "--akka-port", PortFor(akkaBase, i).ToString(), "--data-dir", data,
                // MQTT on 1883, 1884, ... beside HTTP 5000, 5001, ...; off when the ports are the OS's choice.
                "--mqtt-port", PortFor(httpBase == 0 ? 0 : mqttBase, i).ToString(),
                "--profile", profile, "--auto-register", .. seeds.Count == 0 ? Array.Empty<string>() : ["--seeds", string.Join(",", seeds)],
                .. nodeArgs,
            ];
            var node = new LabNode(name, Start(dll, nodeSwitches, log), PortFor(httpBase, i), PortFor(akkaBase, i),
                PortFor(httpBase == 0 ? 0 : mqttBase, i), data, log, nodeSwitches);
            starting.Add(node);
            return node;
        }
        async Task<LabNode> ReadyAsync(LabNode node)
        {
            var (http, akka) = await WaitReadyAsync(node.Name, node.Pid, node.Log, TimeSpan.FromSeconds(60));
            return node with { HttpPort = http, AkkaPort = akka };
        }
        try
        {
            try
            {
                var first = await ReadyAsync(Launch(0, []));
                nodes.Add(first);
                starting.Clear();
                // The others start together: on two cores a node's start is mostly one thread compiling, so starting
                // them one after another only added up their starts.
                // n2 too when its port is fixed, so known before it answers (n2 itself has n1 alone).
                IReadOnlyList<string> SeedsFor(int i) => akkaBase == 0 || i == 1
                    ? [$"127.0.0.1:{first.AkkaPort}"]
                    : [$"127.0.0.1:{first.AkkaPort}", $"127.0.0.1:{PortFor(akkaBase, 1)}"];
                var rest = Enumerable.Range(1, count - 1).Select(i => Launch(i, SeedsFor(i))).ToList();
                nodes.AddRange(await Task.WhenAll(rest.Select(ReadyAsync)));
                starting.Clear();
            }
            finally
            {
                // Written whatever happened, so that lab down stops what did start (nodes that were still starting too).
                await SaveAsync(dir, new LabState(profile, [.. nodes, .. starting]));
            }
            foreach (var n in nodes) await WaitHealthyAsync(n, TimeSpan.FromSeconds(60));
            await WaitMembersAsync(nodes[0], count, TimeSpan.FromSeconds(60));
        }
        catch (Exception) when (stopOnFailure)
        {
            await DownAsync(dir, purge: false);
            throw;
        }
        return new LabState(profile, nodes);
    }

    private static int PortFor(int basePort, int index) => basePort == 0 ? 0 : basePort + index;

    public const int DefaultMqttPort = 1883;

    /// <summary>Sends <paramref name="signal"/> (KILL, TERM, STOP, CONT) to a running node of the lab; with TERM, waits until it stopped.</summary>
    public static async Task<LabNode> SignalAsync(string dir, string name, string signal)
    {
        var node = Find(Load(dir), name);
        if (!Alive(node.Pid)) throw new CliException($"{name} is not running");
        Signal(node.Pid, signal);
        if (signal is "KILL" or "TERM" && !await StoppedAsync([node.Pid], TimeSpan.FromSeconds(20)))
            throw new CliException($"{name} (pid {node.Pid}) did not stop within 20 s");
        return node;
    }

    /// <summary>
    /// Starts a stopped node of the lab again with its own data, ports and switches, seeded with the other members (so
    /// that n1 joins the cluster it formed rather than forming a new one), and waits until it answers.
    /// </summary>
    public static async Task<LabNode> StartAsync(string dir, string name)
    {
        var state = Load(dir);
        var node = Find(state, name);
        if (Alive(node.Pid)) throw new CliException($"{name} is running already (pid {node.Pid})");
        var others = state.Nodes.Where(n => n.Name != name).Take(2).Select(n => $"127.0.0.1:{n.AkkaPort}").ToList();
        var switches = WithSeeds(node.Switches, others);
        // The ports it had, should the OS have chosen them the first time.
        switches = WithValue(WithValue(switches, "--http-port", node.HttpPort.ToString()), "--akka-port", node.AkkaPort.ToString());
        var started = node with { Pid = Start(NodeDll(), switches, node.Log) };
        await SaveAsync(dir, state with { Nodes = state.Nodes.Select(n => n.Name == name ? started : n).ToList() });
        await WaitHealthyAsync(started, TimeSpan.FromSeconds(60));
        return started;
    }

    /// <summary>Waits until none of the processes runs; false when one still does after <paramref name="within"/>.</summary>
    private static async Task<bool> StoppedAsync(IEnumerable<int> pids, TimeSpan within)
    {
        var list = pids.ToList();
        var deadline = DateTime.UtcNow + within;
        while (list.Any(Alive))
        {
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(100);
        }
        return true;
    }

    /// <summary>Whether the node's process is running now.</summary>
    public static bool Running(LabNode node) => Alive(node.Pid);

    private static LabNode Find(LabState state, string name) =>
        state.Nodes.FirstOrDefault(n => n.Name == name)
        ?? throw new CliException($"the lab has no node '{name}'; it has {string.Join(", ", state.Nodes.Select(n => n.Name))}");

    private static IReadOnlyList<string> WithSeeds(IReadOnlyList<string> switches, IReadOnlyList<string> seeds)
    {
        var i = switches.ToList().IndexOf("--seeds");
        var without = i < 0 ? switches.ToList() : switches.Where((_, k) => k != i && k != i + 1).ToList();
        return seeds.Count == 0 ? without : [.. without, "--seeds", string.Join(",", seeds)];
    }

    private static IReadOnlyList<string> WithValue(IReadOnlyList<string> switches, string name, string value)
    {
        var list = switches.ToList();
        var i = list.IndexOf(name);
        if (i >= 0 && i + 1 < list.Count) list[i + 1] = value;
        return list;
    }

    private static Task SaveAsync(string dir, LabState state) =>
        File.WriteAllTextAsync(Path.Combine(dir, "lab.json"), JsonSerializer.Serialize(state, Output.Json));

    private static async Task<(int Http, int Akka)> WaitReadyAsync(string name, int pid, string log, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (!Alive(pid)) throw new CliException($"{name} stopped while starting; its log {log} says: {Tail(log)}");
            if (File.Exists(log))
            {
                string text;
                using (var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))) text = await reader.ReadToEndAsync();
                if (EdgeCluster.Node.ReadyLine.Ports(text, name) is { } ports) return ports;
            }
            await Task.Delay(200);
        }
        throw new CliException($"{name} did not say it was ready within {within.TotalSeconds:0} s; see {log}");
    }

    public static async Task<int> DownAsync(string dir, bool purge)
    {
        if (!File.Exists(Path.Combine(dir, "lab.json"))) return 0;
        var state = Load(dir);
        var running = state.Nodes.Where(n => Alive(n.Pid)).ToList();
        // Every member but one leaves together, then the last one alone. When every member leaves at once, the leader
        // sees the others removed but no one is left to remove it, and it waits out Akka's cluster-exiting phase (10 s).
        foreach (var group in new[] { running.Skip(1).ToList(), running.Take(1).ToList() })
        {
            foreach (var n in group)
            {
                Signal(n.Pid, "CONT"); // a paused node could not act on TERM
                Signal(n.Pid, "TERM");
            }
            await StoppedAsync(group.Select(n => n.Pid), TimeSpan.FromSeconds(20));
        }
        foreach (var n in running.Where(n => Alive(n.Pid)))
        {
            try { Process.GetProcessById(n.Pid).Kill(); } catch (ArgumentException) { }
        }
        File.Delete(Path.Combine(dir, "lab.json"));
        if (purge) Directory.Delete(dir, recursive: true);
        return running.Count;
    }

    public static LabState Load(string dir) =>
        JsonSerializer.Deserialize<LabState>(File.ReadAllText(Path.Combine(dir, "lab.json")), Output.Json)
        ?? throw new CliException($"{dir}/lab.json is not a lab state file");

    /// <summary>The node built beside edgectl, or the one EDGE_NODE_DLL names.</summary>
    private static string NodeDll()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("EDGE_NODE_DLL"),
            Path.Combine(AppContext.BaseDirectory, "EdgeCluster.Node.dll"),
        };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c))
            ?? throw new CliException("EdgeCluster.Node.dll is not beside edgectl; build the solution (dotnet build EdgeCluster.sln) or set EDGE_NODE_DLL");
    }

    private static int Start(string dll, IReadOnlyList<string> switches, string log)
    {
        ProcessStartInfo info;
        if (OperatingSystem.IsWindows())
        {
            info = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            info.ArgumentList.Add(dll);
            foreach (var s in switches) info.ArgumentList.Add(s);
        }
        else
        {
            // Through sh so that the node writes its log to a file and outlives edgectl.
            info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("exec dotnet \"$@\" >>\"$0\" 2>&1 </dev/null");
            info.ArgumentList.Add(log);
            info.ArgumentList.Add(dll);
            foreach (var s in switches) info.ArgumentList.Add(s);
        }
        using var process = Process.Start(info) ?? throw new CliException("could not start dotnet");
        return process.Id;
    }

    /// <summary>Whether the process runs: it exists and has not ended (a process that ended but was not reaped yet has).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited && !Zombie(pid);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether the process has ended and waits only to be reaped. A node outlives the edgectl that started it, so its
    /// parent is init, which may take a second or more to reap it; until then it looks alive to <see cref="Process"/>.
    /// </summary>
    private static bool Zombie(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) S ..."; the command may hold spaces and parentheses, the state follows the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // not Linux, or gone already (Process says so next time)
        }
    }

    private static void Signal(int pid, string signal)
    {
        if (OperatingSystem.IsWindows())
        {
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { }
            return;
        }
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {pid}") { UseShellExecute = false });
        kill?.WaitForExit();
    }

    private static async Task WaitHealthyAsync(LabNode node, TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (!Alive(node.Pid))
                throw new CliException($"{node.Name} stopped while starting; its log {node.Log} says: {Tail(node.Log)}");
            try
            {
                var response = await http.GetAsync($"http://{node.Http}/api/health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new CliException($"{node.Name} did not answer on {node.Http} within {within.TotalSeconds:0} s; see {node.Log}");
    }

    private static async Task WaitMembersAsync(LabNode node, int count, TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + within;
        var up = 0;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var cluster = await http.GetFromJsonAsync<ClusterView>($"http://{node.Http}/api/cluster", ApiJson.Options);
                up = cluster?.Members.Count(m => m.Status == "Up") ?? 0;
                if (up == count) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException) { }
            await Task.Delay(250);
        }
        throw new CliException($"only {up} of {count} members are Up after {within.TotalSeconds:0} s; see the logs in {Path.GetDirectoryName(node.Log)}");
    }

    private static string Tail(string log) =>
        File.Exists(log) ? string.Join(" | ", File.ReadLines(log).TakeLast(3)) : "(no log)";
}
