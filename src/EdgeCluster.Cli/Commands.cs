using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli;

/// <summary>The commands that talk to one member's HTTP API.</summary>
public static class Commands
{
    public static async Task<int> ClusterAsync(EdgeClient client, Args args)
    {
        var verb = args.Word(2, "cluster command (show, leader, unreachable, leave, down, down-unreachable, join, tail)");
        switch (verb)
        {
            case "show":
            {
                args.NoOthers();
                var cluster = await client.GetAsync("/api/cluster");
                if (args.Json) { Output.Write(cluster); return 0; }
                var leader = Output.Text(cluster["leader"]);
                var self = Output.Text(cluster["self"]?["address"]);
                Output.Table(["NODE", "ADDRESS", "STATUS", "REACHABLE", "ROLES", "HTTP", ""],
                    Members(cluster).Select(m => (IReadOnlyList<string?>)
                    [
                        Output.Text(m["node_name"]), Output.Text(m["address"]), Output.Text(m["status"]),
                        m["reachable"]?.GetValue<bool>() == true ? "yes" : "NO",
                        string.Join(",", m["roles"]?.AsArray().Select(r => Output.Text(r)) ?? []), Output.Text(m["http_url"]),
                        string.Join(" ", new[] { Output.Text(m["address"]) == leader ? "leader" : null, Output.Text(m["address"]) == self ? "(this member)" : null }.Where(x => x is not null)),
                    ]));
                return 0;
            }
            case "leader":
            {
                args.NoOthers();
                var cluster = await client.GetAsync("/api/cluster");
                var leader = Output.Text(cluster["leader"]);
                if (args.Json) { Output.Write(new JsonObject { ["leader"] = leader, ["node_name"] = NameOf(cluster, leader) }); return 0; }
                if (leader is null) throw new CliException($"{client.Target} knows no leader yet");
                Output.Out.WriteLine(NameOf(cluster, leader) is { } name ? $"{leader} ({name})" : leader);
                return 0;
            }
            case "unreachable":
            {
                args.NoOthers();
                var cluster = await client.GetAsync("/api/cluster");
                var unreachable = Members(cluster).Where(m => m["reachable"]?.GetValue<bool>() == false).ToList();
                if (args.Json) { Output.Write(new JsonArray(unreachable.Select(m => (JsonNode?)m.DeepClone()).ToArray())); return 0; }
                if (unreachable.Count == 0) Output.Out.WriteLine("no unreachable members");
                else Output.Table(["NODE", "ADDRESS", "STATUS"], unreachable.Select(m => (IReadOnlyList<string?>)
                    [Output.Text(m["node_name"]), Output.Text(m["address"]), Output.Text(m["status"])]));
                return 0;
            }
            case "leave":
            {
                args.NoOthers();
                var member = args.Words.Count > 3 ? args.Words[3] : null;
                var reply = await client.PostAsync("/api/admin/cluster/leave", member is null ? new { } : new { member });
                return Done(args, reply, $"{Output.Text(reply["leaving"]) ?? member ?? client.Target} is leaving the cluster; its process stops once it has left");
            }
            case "down":
            {
                args.NoOthers();
                var member = args.Word(3, "member to down");
                var reply = await client.PostAsync("/api/admin/cluster/down", new { member });
                return Done(args, reply, $"downed {member}; if it is still running it starts again and rejoins once it reaches the others");
            }
            case "down-unreachable":
            {
                args.NoOthers();
                var reply = await client.PostAsync("/api/admin/cluster/down-unreachable", new { });
                var downed = reply["downed"]?.AsArray().Select(Output.Text).ToList() ?? [];
                return Done(args, reply, downed.Count == 0 ? "no unreachable members to down" : $"downed {string.Join(", ", downed)}");
            }
            case "join":
            {
                args.NoOthers();
                var address = args.Word(3, "address to join (host:port of a member's remoting, or akka.trttl.tcp://edgecluster@host:port)");
                var reply = await client.PostAsync("/api/admin/cluster/join", new { address });
                return Done(args, reply, $"{client.Target} is joining {Output.Text(reply["joining"])}");
            }
            case "tail":
                return await TailClusterAsync(client, args);
            default:
                throw CliException.Usage($"unknown cluster command '{verb}'");
        }
    }

    public static async Task<int> PartitionAsync(EdgeClient client, Args args)
    {
        var verb = args.Word(2, "partition command (isolate, split, heal, status)");
        JsonNode reply;
        switch (verb)
        {
            case "isolate":
                args.NoOthers();
                reply = await client.PostAsync("/api/admin/partition/isolate", new { member = args.Word(3, "member to isolate") },
                    HttpStatusCode.BadGateway);
                return Applied(args, reply);
            case "split":
            {
                args.NoOthers();
                var groups = args.Words.Skip(3).Select(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
                if (groups.Count < 2) throw CliException.Usage("split needs two or more groups, like: partition split n1,n2 n3");
                reply = await client.PostAsync("/api/admin/partition/split", new { groups }, HttpStatusCode.BadGateway);
                return Applied(args, reply);
            }
            case "heal":
                args.NoOthers();
                reply = await client.PostAsync("/api/admin/partition/heal", new { }, HttpStatusCode.BadGateway);
                return Applied(args, reply);
            case "status":
            {
                args.NoOthers();
                reply = await client.GetAsync("/api/admin/partition");
                if (args.Json) { Output.Write(reply); return 0; }
                var rows = new List<IReadOnlyList<string?>>();
                foreach (var m in reply["members"]!.AsArray())
                {
                    var links = m!["state"]?["links"]?.AsArray();
                    if (m["error"] is { } error) rows.Add([Output.Text(m["member"]), "?", null, Output.Text(error)]);
                    else if (links is null || links.Count == 0) rows.Add([Output.Text(m["member"]), "-", null, null]);
                    else
                        foreach (var l in links)
                            rows.Add([Output.Text(m["member"]), Output.Text(l!["node_name"]) ?? Output.Text(l["peer"]), Output.Text(l["since"]), Output.Text(l["reason"])]);
                }
                Output.Table(["MEMBER", "CUT FROM", "SINCE", "REASON"], rows);
                Output.Out.WriteLine(reply["partitioned"]?.GetValue<bool>() == true ? "partitioned" : "no links cut");
                return 0;
            }
            default:
                throw CliException.Usage($"unknown partition command '{verb}'");
        }
    }

    public static async Task<int> KeyValueAsync(EdgeClient client, Args args)
    {
        var verb = args.Word(2, "kv command (put, get)");
        var consistency = args.Option("--consistency");
        if (consistency is not (null or "strong" or "eventual")) throw CliException.Usage($"--consistency '{consistency}' must be strong or eventual");
        var query = consistency is null ? "" : $"?consistency={consistency}";
        switch (verb)
        {
            case "put":
            {
                args.NoOthers();
                var key = args.Word(3, "key");
                var text = args.Word(4, "value");
                JsonNode? value;
                try { value = JsonNode.Parse(text); }
                catch (JsonException) { value = JsonValue.Create(text); }
                var reply = await client.PutAsync($"/api/kv/{Uri.EscapeDataString(key)}{query}", new JsonObject { ["value"] = value });
                return Done(args, reply, $"{key} = {text}" + (reply["siblings"] is JsonArray { Count: > 1 } s ? $" ({s.Count} concurrent values)" : ""));
            }
            case "get":
            {
                var resolve = args.Option("--resolve");
                args.NoOthers();
                var key = args.Word(3, "key");
                var path = $"/api/kv/{Uri.EscapeDataString(key)}{query}" + (resolve is null ? "" : (query.Length == 0 ? "?" : "&") + $"resolve={resolve}");
                var reply = await client.GetAsync(path);
                if (args.Json) { Output.Write(reply); return 0; }
                if (reply["value"] is { } single && reply["conflict"]?.GetValue<bool>() != true)
                    Output.Out.WriteLine(Output.Text(single));
                else if (reply["siblings"] is JsonArray siblings)
                {
                    Output.Table(["VALUE", "WRITER", "WRITTEN AT", "VECTOR CLOCK"], siblings.Select(s => (IReadOnlyList<string?>)
                        [Output.Text(s!["value"]), Output.Text(s["writer"]), Output.Text(s["written_at"]), Output.Text(s["vector_clock"])]));
                    if (siblings.Count > 1) Output.Out.WriteLine($"{siblings.Count} concurrent values; --resolve lww picks the last written");
                }
                else Output.Out.WriteLine(Output.Text(reply["value"]) ?? reply.ToJsonString());
                return 0;
            }
            default:
                throw CliException.Usage($"unknown kv command '{verb}'");
        }
    }

    public static async Task<int> ReadingsAsync(EdgeClient client, Args args)
    {
        var verb = args.Word(2, "readings command (post, tail)");
        switch (verb)
        {
            case "post":
            {
                var consistency = args.Option("--consistency");
                var seq = args.Option("--seq");
                args.NoOthers();
                var body = new JsonObject
                {
                    ["device_id"] = Number(args.Word(3, "device id"), "device"),
                    ["temperature"] = Number(args.Word(4, "temperature"), "temperature"),
                    ["humidity"] = Number(args.Word(5, "humidity"), "humidity"),
                };
                if (seq is not null) body["seq"] = Number(seq, "--seq");
                var reply = await client.PostAsync("/api/reading" + (consistency is null ? "" : $"?consistency={Uri.EscapeDataString(consistency)}"), body);
                return Done(args, reply, $"stored: device {args.Words[3]}, {Output.Text(reply["consistency"])}, origin {Output.Text(reply["origin_node"])} #{Output.Text(reply["origin_seq"])}" +
                    (reply["duplicate"]?.GetValue<bool>() == true ? " (a duplicate: stored before)" : ""));
            }
            case "tail":
                return await TailReadingsAsync(client, args);
            default:
                throw CliException.Usage($"unknown readings command '{verb}'");
        }
    }

    public static async Task<int> CoordinatorAsync(EdgeClient client, Args args)
    {
        var verb = args.Word(2, "coordinator command (stats, submit)");
        switch (verb)
        {
            case "stats":
            {
                args.NoOthers();
                var stats = await client.GetAsync("/api/inference/stats");
                if (args.Json) { Output.Write(stats); return 0; }
                Output.Out.WriteLine($"coordinator on {Output.Text(stats["coordinator"])}: {stats["alive_workers"]} of {stats["total_workers"]} workers alive " +
                    $"({stats["idle_workers"]} idle, {stats["busy_workers"]} busy); completed {stats["completed_tasks"]}, failed {stats["failed_tasks"]}");
                var q = stats["queue"];
                Output.Out.WriteLine($"queue: high {q?["high"]}, medium {q?["medium"]}, low {q?["low"]}");
                if (stats["submit_to_assignment_ms"] is { } a)
                    Output.Out.WriteLine($"submit to assignment: p50 {a["p50"]} ms, p99 {a["p99"]} ms over the last {a["samples"]} tasks");
                Output.Table(["WORKER", "NODE", "STATUS", "MODELS", "RUNNING", "CAPACITY", "COMPLETED"],
                    (stats["workers"]?.AsArray() ?? []).Select(w => (IReadOnlyList<string?>)
                    [
                        Output.Text(w!["worker_id"]), Output.Text(w["node"]), Output.Text(w["status"]),
                        string.Join(",", w["model_types"]?.AsArray().Select(Output.Text) ?? []), Output.Text(w["running"]),
                        Output.Text(w["capacity"]), Output.Text(w["completed"]),
                    ]));
                return 0;
            }
            case "submit":
            {
                var priority = args.Option("--priority") ?? "medium";
                var wait = args.SecondsOption("--wait", 0);
                args.NoOthers();
                var body = new JsonObject
                {
                    ["model_type"] = args.Word(3, "model type (anomaly, forecast)"),
                    ["device_id"] = Number(args.Word(4, "device id"), "device"),
                    ["priority"] = priority,
                };
                var reply = await client.PostAsync("/api/inference" + (wait > 0 ? $"?wait={wait}s" : ""), body);
                if (args.Json) { Output.Write(reply); return 0; }
                var state = Output.Text(reply["state"]);
                Output.Out.WriteLine($"task {Output.Text(reply["task_id"])}: {state}" +
                    (reply["node"] is { } node ? $" on {Output.Text(node)}" : "") +
                    (reply["result"] is { } result ? $"\n{result.ToJsonString(Output.Json)}" : "") +
                    (reply["reason"] is { } reason ? $" ({Output.Text(reason)})" : ""));
                return state == "failed" ? 1 : 0;
            }
            default:
                throw CliException.Usage($"unknown coordinator command '{verb}'");
        }
    }

    private static async Task<int> TailClusterAsync(EdgeClient client, Args args)
    {
        var seconds = args.SecondsOption("--for", double.PositiveInfinity);
        args.NoOthers();
        var until = Until(seconds);
        var last = new Dictionary<string, string>();
        var first = true;
        while (DateTime.UtcNow < until)
        {
            var cluster = await client.GetAsync("/api/cluster");
            var now = Members(cluster).ToDictionary(m => Output.Text(m["address"])!,
                m => $"{Output.Text(m["status"])}{(m["reachable"]?.GetValue<bool>() == false ? ", unreachable" : "")}");
            var names = Members(cluster).ToDictionary(m => Output.Text(m["address"])!, m => Output.Text(m["node_name"]));
            foreach (var (address, state) in now)
                if (!last.TryGetValue(address, out var before) || before != state)
                    Event(args, address, names[address], first ? state : $"{before ?? "new"} -> {state}");
            foreach (var gone in last.Keys.Except(now.Keys)) Event(args, gone, null, "removed");
            last = now;
            first = false;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        return 0;
    }

    private static void Event(Args args, string address, string? name, string change)
    {
        var at = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff");
        if (args.Json) Output.Out.WriteLine(new JsonObject { ["at"] = DateTimeOffset.UtcNow, ["address"] = address, ["node_name"] = name, ["change"] = change }.ToJsonString());
        else Output.Out.WriteLine($"{at}  {name ?? address}  {change}");
        Output.Out.Flush();
    }

    private static async Task<int> TailReadingsAsync(EdgeClient client, Args args)
    {
        var seconds = args.SecondsOption("--for", double.PositiveInfinity);
        args.NoOthers();
        var device = Number(args.Word(3, "device id"), "device");
        var until = Until(seconds);
        var seen = new HashSet<string>();
        var first = true;
        do
        {
            var reply = await client.GetAsync($"/api/readings/{device}?limit={(first ? 10 : 1000)}");
            foreach (var r in (reply["readings"]?.AsArray() ?? []).Reverse())
            {
                var id = Output.Text(r!["reading_id"])!;
                if (!seen.Add(id)) continue;
                if (args.Json) Output.Out.WriteLine(r.ToJsonString());
                else Output.Out.WriteLine($"{Output.Text(r["timestamp"])}  device {r["device_id"]}  {r["temperature"]} C  {r["humidity"]} %  seq {Output.Text(r["seq"]) ?? "-"}  from {Output.Text(r["origin_node"])}");
            }
            Output.Out.Flush();
            first = false;
            if (DateTime.UtcNow < until) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(0, seconds * 1000))));
        } while (DateTime.UtcNow < until);
        return 0;
    }

    /// <summary>When a tail with --for stops; without --for it runs until Ctrl-C.</summary>
    private static DateTime Until(double seconds) =>
        double.IsInfinity(seconds) ? DateTime.MaxValue : DateTime.UtcNow + TimeSpan.FromSeconds(seconds);

    private static IEnumerable<JsonNode> Members(JsonNode cluster) => cluster["members"]?.AsArray().Select(m => m!) ?? [];

    private static string? NameOf(JsonNode cluster, string? address) =>
        Members(cluster).FirstOrDefault(m => Output.Text(m["address"]) == address) is { } m ? Output.Text(m["node_name"]) : null;

    private static JsonNode Number(string text, string what) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? (d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d))
            : throw CliException.Usage($"{what} '{text}' is not a number");

    private static int Done(Args args, JsonNode reply, string message)
    {
        if (args.Json) Output.Write(reply);
        else Output.Out.WriteLine(message);
        return 0;
    }

    private static int Applied(Args args, JsonNode reply)
    {
        if (args.Json) Output.Write(reply);
        else
        {
            Output.Table(["MEMBER", "APPLIED", "CUT FROM", "ERROR"], reply["members"]!.AsArray().Select(m => (IReadOnlyList<string?>)
            [
                Output.Text(m!["node"]), m["ok"]?.GetValue<bool>() == true ? "yes" : "NO",
                string.Join(",", m["cut"]?.AsArray().Select(Output.Text) ?? []), Output.Text(m["error"]),
            ]));
        }
        if (reply["error"] is { } error)
        {
            Console.Error.WriteLine($"edgectl: {Output.Text(error)}");
            return 1;
        }
        return 0;
    }
}
