using System.CommandLine;
using System.CommandLine.Parsing;
using EdgeCluster.Cli.Commands;
using EdgeCluster.Cli.Experiments;

namespace EdgeCluster.Cli;

/// <summary>
/// edgectl's commands, declared once on System.CommandLine: help, usage, validation and completion come from the
/// declarations. As with pbm, the member comes first (<c>edgectl 127.0.0.1:5000 cluster show</c>), and a member
/// alone opens an interactive session on it.
/// </summary>
public static class Edgectl
{
    private static readonly string[] Groups = ["cluster", "partition", "kv", "readings", "coordinator", "uplink", "mqtt", "log", "lab", "experiment", "certs"];

    public static RootCommand Build()
    {
        var root = new RootCommand(
            """
            edgectl: command line for an EdgeCluster lab (pbm's palette where pbm has the command)

              edgectl <host:port> <command> ...   talk to a member (any member's HTTP address)
              edgectl <host:port>                 an interactive session on that member
              edgectl lab | experiment ...        a lab on this machine
              edgectl certs ...                   certificates for a lab on a shared network

            A member is named by node name, address or host:port. Exit codes: 0 done, 1 the cluster refused or
            could not be reached, 2 a wrong command.
            """);
        root.Options.Add(CommonOptions.Member);
        root.Options.Add(CommonOptions.Json);
        root.Options.Add(CommonOptions.Token);
        root.Options.Add(CommonOptions.Timeout);
        root.With(
            ClusterCommands.Build(),
            PartitionCommands.Build(),
            KeyValueCommands.Build(),
            ReadingsCommands.Build(),
            DevicesCommands.Build(),
            CoordinatorCommands.Build(),
            UplinkCommands.Build(),
            MqttCommands.Build(),
            LogCommands.Build(),
            EventsCommand.Build(),
            LabCommands.Build(),
            ExperimentCommand.Build(),
            CertsCommands.Build());
        return root;
    }

    public static async Task<int> RunAsync(string[] argv, TextWriter? output = null)
    {
        if (output is not null) Output.Out = output;
        var root = Build();
        if (argv.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync(Configuration());
            return 2;
        }
        if (argv[0] == "help") argv = [.. argv[1..], "--help"];
        if (IsMember(argv[0]))
        {
            if (argv.Length == 1) return await new Session(argv[0], root).RunAsync();
            argv = [.. argv[1..], "--member", argv[0]];
        }
        return await InvokeAsync(root, argv);
    }

    /// <summary>Parses and runs one command line: a usage error exits 2 with a hint, a refusal 1, as every command.</summary>
    internal static async Task<int> InvokeAsync(RootCommand root, IReadOnlyList<string> args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"edgectl: {Describe(parse)} (edgectl {CommandPath(parse)}--help lists the commands and options)");
            return 2;
        }
        try
        {
            return await parse.InvokeAsync(Configuration());
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"edgectl: {e.Message}");
            return e.ExitCode;
        }
    }

    private static InvocationConfiguration Configuration() =>
        new() { Output = Output.Out, EnableDefaultExceptionHandler = false };

    /// <summary>A member's address: host:port or a URL; a word without a colon is a command.</summary>
    private static bool IsMember(string word) => !word.StartsWith('-') && !Groups.Contains(word) && word.Contains(':');

    private static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            if (command is RootCommand)
                return $"'{token}' is neither a command nor a member's host:port";
            if (command.Subcommands.Count > 0 && !token.StartsWith('-'))
                return $"unknown {command.Name} command '{token}'";
            return $"unknown option or argument '{token}' for {command.Name}";
        }
        return string.Join("; ", parse.Errors.Select(e => e.Message));
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
            if (result.Command is not RootCommand) names.Insert(0, result.Command.Name);
        return names.Count == 0 ? "" : string.Join(" ", names) + " ";
    }
}
