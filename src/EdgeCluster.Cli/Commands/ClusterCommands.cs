using System.CommandLine;
using EdgeCluster.Contracts;
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
                var reply = await client.PostAsync<LeaveAccepted>("/api/admin/cluster/leave", new MemberRequest(member));
                return Done(p.GetValue(CommonOptions.Json), reply, $"{reply.Leaving} is leaving the cluster; its process stops once it has left");
            }),
            new Command("down", "mark a member down; if it still runs it starts again and rejoins").With(downMember).WithMember(async (p, client) =>
            {
                var member = p.GetValue(downMember)!;
                var reply = await client.PostAsync<DownAccepted>("/api/admin/cluster/down", new MemberRequest(member));
                return Done(p.GetValue(CommonOptions.Json), reply, $"downed {member}; if it is still running it starts again and rejoins once it reaches the others");
            }),
            new Command("down-unreachable", "down every member this member cannot reach").WithMember(async (p, client) =>
            {
                var reply = await client.PostAsync<DownAccepted>("/api/admin/cluster/down-unreachable", new { });
                return Done(p.GetValue(CommonOptions.Json), reply,
                    reply.Downed.Count == 0 ? "no unreachable members to down" : $"downed {string.Join(", ", reply.Downed)}");
            }),
            new Command("join", "the member joins the cluster at another member's remoting address").With(joinAddress).WithMember(async (p, client) =>
            {
                var reply = await client.PostAsync<JoinAccepted>("/api/admin/cluster/join", new JoinRequest(p.GetValue(joinAddress)!));
                return Done(p.GetValue(CommonOptions.Json), reply, $"{client.Target} is joining {reply.Joining}");
            }),
            new Command("tail", "membership changes as they happen").With(tailFor).WithMember((p, client) =>
                TailAsync(client, p.GetValue(tailFor), p.GetValue(CommonOptions.Json))));
    }

    private static async Task<int> ShowAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync<ClusterView>("/api/cluster");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(cluster); return 0; }
        Output.Table(["NODE", "ADDRESS", "STATUS", "REACHABLE", "ROLES", "HTTP", ""],
            cluster.Members.Select(m => (IReadOnlyList<string?>)
            [
                m.NodeName, m.Address, m.Status, m.Reachable ? "yes" : "NO", string.Join(",", m.Roles), m.HttpUrl,
                string.Join(" ", new[] { m.Address == cluster.Leader ? "leader" : null, m.Address == cluster.Self.Address ? "(this member)" : null }
                    .Where(x => x is not null)),
            ]));
        return 0;
    }

    private static async Task<int> LeaderAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync<ClusterView>("/api/cluster");
        var leader = cluster.Leader;
        if (p.GetValue(CommonOptions.Json)) { Output.Write(new { Leader = leader, NodeName = NameOf(cluster, leader) }); return 0; }
        if (leader is null) throw new CliException($"{client.Target} knows no leader yet");
        Output.Out.WriteLine(NameOf(cluster, leader) is { } name ? $"{leader} ({name})" : leader);
        return 0;
    }

    private static async Task<int> UnreachableAsync(ParseResult p, EdgeClient client)
    {
        var cluster = await client.GetAsync<ClusterView>("/api/cluster");
        var unreachable = cluster.Members.Where(m => !m.Reachable).ToList();
        if (p.GetValue(CommonOptions.Json)) { Output.Write(unreachable); return 0; }
        if (unreachable.Count == 0) Output.Out.WriteLine("no unreachable members");
        else Output.Table(["NODE", "ADDRESS", "STATUS"], unreachable.Select(m => (IReadOnlyList<string?>)[m.NodeName, m.Address, m.Status]));
        return 0;
    }

    private static async Task<int> TailAsync(EdgeClient client, double seconds, bool json)
    {
        var until = Until(seconds);
        var last = new Dictionary<string, string>();
        var first = true;
        while (DateTime.UtcNow < until)
        {
            var cluster = await client.GetAsync<ClusterView>("/api/cluster");
            var now = cluster.Members.ToDictionary(m => m.Address, m => $"{m.Status}{(m.Reachable ? "" : ", unreachable")}");
            var names = cluster.Members.ToDictionary(m => m.Address, m => m.NodeName);
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
        if (json) Output.Line(new { At = DateTimeOffset.UtcNow, Address = address, NodeName = name, Change = change });
        else Output.Out.WriteLine($"{at}  {name ?? address}  {change}");
        Output.Out.Flush();
    }
}
