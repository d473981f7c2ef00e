using System.CommandLine;
using System.Net;
using EdgeCluster.Contracts;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; partition ...</c>: cut and heal links between members, and see which are cut.</summary>
public static class PartitionCommands
{
    public static Command Build()
    {
        var isolated = CommonOptions.MemberName("member", "the member to cut off from all others");
        var groups = new Argument<string[]>("groups")
        {
            Description = "two or more comma-separated groups of members, like: n1,n2 n3",
            Arity = new ArgumentArity(2, 9),
        };
        groups.CompletionSources.Add(_ => CommonOptions.KnownMembers);

        return new Command("partition", "cut links between members (Akka.Remote's throttler) and heal them").With(
            new Command("isolate", "cut one member off from every other member").With(isolated).WithMember(async (p, client) =>
                Applied(p.GetValue(CommonOptions.Json), await client.PostAsync<FanOutResult>("/api/admin/partition/isolate",
                    new MemberRequest(p.GetValue(isolated)), HttpStatusCode.BadGateway))),
            new Command("split", "cut every link between the groups; every member must be in one group").With(groups).WithMember(async (p, client) =>
            {
                var members = p.GetValue(groups)!.Select(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
                return Applied(p.GetValue(CommonOptions.Json),
                    await client.PostAsync<FanOutResult>("/api/admin/partition/split", new SplitRequest(members), HttpStatusCode.BadGateway));
            }),
            new Command("heal", "heal every cut link on every member").WithMember(async (p, client) =>
                Applied(p.GetValue(CommonOptions.Json), await client.PostAsync<FanOutResult>("/api/admin/partition/heal", new { }, HttpStatusCode.BadGateway))),
            new Command("status", "which links each member has cut, since when, by which command").WithMember(StatusAsync));
    }

    private static async Task<int> StatusAsync(ParseResult p, EdgeClient client)
    {
        var reply = await client.GetAsync<PartitionView>("/api/admin/partition");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(reply); return 0; }
        var rows = new List<IReadOnlyList<string?>>();
        foreach (var m in reply.Members)
        {
            var links = m.State?.Links ?? [];
            if (m.Error is { } error) rows.Add([m.Member, "?", null, error]);
            else if (links.Count == 0) rows.Add([m.Member, "-", null, null]);
            else
                foreach (var l in links)
                    rows.Add([m.Member, l.NodeName ?? l.Peer, l.Since.ToString("O"), l.Reason]);
        }
        Output.Table(["MEMBER", "CUT FROM", "SINCE", "REASON"], rows);
        Output.Out.WriteLine(reply.Partitioned ? "partitioned" : "no links cut");
        return 0;
    }
}
