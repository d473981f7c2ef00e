using EdgeCluster.Contracts;
using System.CommandLine;
using System.CommandLine.Parsing;
using EdgeCluster.Cli.Commands;

namespace EdgeCluster.Cli;

/// <summary>
/// <c>edgectl &lt;member&gt;</c>: an interactive session on one member, as pbm opens one. Each line is a command without
/// the address (<c>cluster show</c>, <c>partition isolate n3</c>); <c>help</c> lists them, <c>exit</c> ends the session.
/// On a terminal, lines are edited with history and tab completion of commands, options and member names.
/// </summary>
public sealed class Session(string member, RootCommand root)
{
    public async Task<int> RunAsync()
    {
        await LearnMembersAsync();
        var interactive = !Console.IsInputRedirected;
        var editor = interactive ? new LineEditor(Complete) : null;
        if (interactive) Output.Out.WriteLine($"edgectl session on {member}: commands without the address; help lists them, exit ends");
        while (true)
        {
            var prompt = $"{member}> ";
            var line = editor is not null ? editor.ReadLine(prompt) : Console.In.ReadLine();
            if (line is null) return 0;
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line is "exit" or "quit") return 0;
            if (line == "help") line = "--help";
            await Edgectl.InvokeAsync(root, [.. CommandLineParser.SplitCommandLine(line), "--member", member]);
            Output.Out.Flush();
        }
    }

    /// <summary>Member names and addresses for completing <c>partition isolate n&lt;Tab&gt;</c>.</summary>
    private async Task LearnMembersAsync()
    {
        try
        {
            using var client = new EdgeClient(member, null, TimeSpan.FromSeconds(5));
            var cluster = await client.GetAsync<ClusterView>("/api/cluster");
            CommonOptions.KnownMembers = cluster.Members.SelectMany(m => new[] { m.NodeName, m.Address }).OfType<string>().Distinct().ToList();
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"edgectl: {e.Message}");
        }
    }

    /// <summary>What may follow the line typed so far: commands, options, arguments' values (member names among them).</summary>
    public IReadOnlyList<string> Complete(string line)
    {
        var parse = root.Parse(line);
        return parse.GetCompletions(line.Length).Select(c => c.Label).Distinct().ToList();
    }
}
