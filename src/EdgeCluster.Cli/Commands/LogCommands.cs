using System.CommandLine;
using EdgeCluster.Contracts;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; log peek [N] | tail</c>: a member's recent log lines, as pbm's log commands.</summary>
public static class LogCommands
{
    public static Command Build()
    {
        var count = new Argument<int>("count") { Description = "how many of the newest lines (default 50)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => 50 };
        var tailFor = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");

        return new Command("log", "the member's recent log lines").With(
            new Command("peek", "the member's newest log lines").With(count).WithMember(async (p, client) =>
            {
                var reply = await client.GetAsync<LogsView>($"/api/admin/logs?last={p.GetValue(count)}");
                Print(reply, p.GetValue(CommonOptions.Json));
                return 0;
            }),
            new Command("tail", "the member's log lines as they are written").With(tailFor).WithMember(async (p, client) =>
            {
                var until = Replies.Until(p.GetValue(tailFor));
                var reply = await client.GetAsync<LogsView>("/api/admin/logs?last=10");
                Print(reply, p.GetValue(CommonOptions.Json));
                while (DateTime.UtcNow < until)
                {
                    await Task.Delay(500);
                    reply = await client.GetAsync<LogsView>($"/api/admin/logs?after={reply.Next}");
                    Print(reply, p.GetValue(CommonOptions.Json));
                }
                return 0;
            }));
    }

    private static void Print(LogsView reply, bool json)
    {
        foreach (var line in reply.Lines)
            if (json) Output.Line(line);
            else Output.Out.WriteLine(line.Text);
        Output.Out.Flush();
    }
}
