using System.CommandLine;
using System.Text.Json.Nodes;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; cluster ...</c>: membership as pbm's cluster commands show and change it.</summary>
public static class ClusterCommands
{
    public static Command Build()
    {
        var leaveMember = CommonOptions.MemberName("member", "the member to leave (default: the one asked)");
        leaveMember.Arity = ArgumentArity.ZeroOrOne;
        var downMember = CommonOptions.MemberName("member", "the member to down");
        var joinAddress = new Argument<string>("address") { Description = "a member's remoting address: host:port or akka.trttl.tcp://edgecluster@host:port" };
        var tailFor = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");

        return new Command("cluster", "members, leader, reachability; leave, down and join").With(
            new Command("show", "every member with status, reachability, roles and HTTP address").WithMember(ShowAsync),
            new Command("leader", "the cluster's leader").WithMember(LeaderAsync),
            new Command("unreachable", "members this member cannot reach").WithMember(UnreachableAsync),
            new Command("leave", "a member leaves the cluster on purpose; its process then stops").With(leaveMember).WithMember(async (p, client) =>
            {
                var member = p.GetValue(leaveMember);
                var reply = await client.PostAsync("/api/admin/cluster/leave", member is null ? new { } : new { member });
                return Done(p.GetValue(CommonOptions.Json), reply,
                    $"{Output.Text(reply["leaving"]) ?? member ?? client.Target} is leaving the cluster; its process stops once it has left");
            }),
            new Command("down", "mark a member down; if it still runs it starts again and rejoins").With(downMember).WithMember(async (p, client) =>
            {
                var member = p.GetValue(downMember)!;
                var reply = await client.PostAsync("/api/admin/cluster/down", new { member });
                return Done(p.GetValue(CommonOptions.Json), reply, $"downed {member}; if it is still running it starts again and rejoins once it reaches the others");
            }),
            new Command("down-unreachable", "down every member this member cannot reach").WithMember(async (p, client) =>
            {
                var reply = await client.PostAsync("/api/admin/cluster/down-unreachable", new { });
                var downed = reply["downed"]?.AsArray().Select(Output.Text).ToList() ?? [];
                return Done(p.GetValue(CommonOptions.Json), reply, downed.Count == 0 ? "no unreachable members to down" : $"downed {string.Join(", ", downed)}");
            }),
            new Command("join", "the member joins the cluster at another member's remoting address").With(joinAddress).WithMember(async (p, client) =>
            {
                var reply = await client.PostAsync("/api/admin/cluster/join", new { address = p.GetValue(joinAddress) });
                return Done(p.GetValue(CommonOptions.Json), reply, $"{client.Target} is joining {Output.Text(reply["joining"])}");
            }),
            new Command("tail", "membership changes as they happen").With(tailFor).WithMember((p, client) =>
                TailAsync(client, p.GetValue(tailFor), p.GetValue(CommonOptions.Json))));
    }

    private static async Task<int> ShowAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync("/api/cluster");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(cluster); return 0; }
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

    private static async Task<int> LeaderAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync("/api/cluster");
        var leader = Output.Text(cluster["leader"]);
        if (p.GetValue(CommonOptions.Json)) { Output.Write(new JsonObject { ["leader"] = leader, ["node_name"] = NameOf(cluster, leader) }); return 0; }
        if (leader is null) throw new CliException($"{client.Target} knows no leader yet");
        Output.Out.WriteLine(NameOf(cluster, leader) is { } name ? $"{leader} ({name})" : leader);
        return 0;
    }

    private static async Task<int> UnreachableAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync("/api/cluster");
        var unreachable = Members(cluster).Where(m => m["reachable"]?.GetValue<bool>() == false).ToList();
        if (p.GetValue(CommonOptions.Json)) { Output.Write(new JsonArray(unreachable.Select(m => (JsonNode?)m.DeepClone()).ToArray())); return 0; }
        if (unreachable.Count == 0) Output.Out.WriteLine("no unreachable members");
        else Output.Table(["NODE", "ADDRESS", "STATUS"], unreachable.Select(m => (IReadOnlyList<string?>)
            [Output.Text(m["node_name"]), Output.Text(m["address"]), Output.Text(m["status"])]));
        return 0;
    }

    private static async Task<int> TailAsync(EdgeClient client, double seconds, bool json)
    {
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
                    Event(json, address, names[address], first ? state : $"{before ?? "new"} -> {state}");
            foreach (var gone in last.Keys.Except(now.Keys)) Event(json, gone, null, "removed");
            last = now;
            first = false;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
        return 0;
    }

    private static void Event(bool json, string address, string? name, string change)
    {
        var at = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff");
        if (json) Output.Out.WriteLine(new JsonObject { ["at"] = DateTimeOffset.UtcNow, ["address"] = address, ["node_name"] = name, ["change"] = change }.ToJsonString());
        else Output.Out.WriteLine($"{at}  {name ?? address}  {change}");
        Output.Out.Flush();
    }
}
