using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace EdgeCluster.Cli.Commands;

/// <summary>The options every command takes, and the typed option and argument kinds the commands share.</summary>
public static class CommonOptions
{
    /// <summary>The member a command talks to; given first (<c>edgectl 127.0.0.1:5000 cluster show</c>) or as --member.</summary>
    public static readonly Option<string?> Member = new("--member")
    {
        Description = "a member's HTTP address, host:port; usually given first: edgectl <host:port> <command>",
        HelpName = "host:port",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "print JSON for scripts", Recursive = true };

    public static readonly Option<string?> Token = new("--token")
    {
        Description = "token for the management API (default: EDGE_ADMIN_TOKEN)",
        Recursive = true,
    };

    /// <summary>A device's own token, for what a board sends (readings over HTTP and MQTT) to members with device tokens on.</summary>
    public static Option<string?> DeviceToken() => new("--device-token")
    {
        Description = "the device's token, when the members require device tokens (default: EDGE_DEVICE_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("EDGE_DEVICE_TOKEN") is { Length: > 0 } t ? t : null,
    };

    public static readonly Option<double> Timeout = Seconds("--timeout", 30, "seconds to wait for a member's answer", recursive: true);

    /// <summary>Seconds as 5 or 5s.</summary>
    public static Option<double> Seconds(string name, double fallback, string description, bool recursive = false) => new(name)
    {
        Description = description,
        HelpName = "seconds",
        Recursive = recursive,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseSeconds(r, name),
    };

    public static Option<int> Int(string name, int fallback, int min, int max, string description) => new(name)
    {
        Description = $"{description} ({min}-{max}, default {fallback})",
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens.Single().Value;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
            r.AddError($"{name} '{text}' must be a whole number from {min} to {max}");
            return fallback;
        },
    };

    public static Option<string?> Consistency() => Choice("--consistency", "strong or eventual (default: the member's profile)", "strong", "eventual");

    public static Option<string?> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string?>(name) { Description = description };
        option.AcceptOnlyFromAmong(values);
        return option;
    }

    /// <summary>A number given as an argument; a word that is not one is a usage error naming what it should be.</summary>
    public static Argument<double> Number(string name, string what, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Single().Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            r.AddError($"{what} '{text}' is not a number");
            return 0;
        },
    };

    /// <summary>One reading as a board sends it, on the command line: device, temperature, humidity, and its --seq.</summary>
    public sealed record ReadingArguments(Argument<double> Device, Argument<double> Temperature, Argument<double> Humidity, Option<long?> Seq);

    /// <summary>The arguments of <c>readings post</c> and <c>mqtt pub</c>, alike in both.</summary>
    public static ReadingArguments Reading() => new(
        Number("device", "device", "the device id the reading is for"),
        Number("temperature", "temperature", "°C"),
        Number("humidity", "humidity", "% relative humidity"),
        new Option<long?>("--seq") { Description = "the device's sequence number for this reading (a resend with the same one is stored once)" });

    /// <summary>A member named by node name, address or host:port; completes to the member names a session knows.</summary>
    public static Argument<string> MemberName(string name, string description)
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.CompletionSources.Add(_ => KnownMembers);
        return argument;
    }

    /// <summary>Member names for tab completion, filled by an interactive session from its member's view.</summary>
    public static IReadOnlyList<string> KnownMembers { get; set; } = [];

    private static double ParseSeconds(ArgumentResult r, string name)
    {
        var text = r.Tokens.Single().Value;
        var trimmed = text.EndsWith('s') ? text[..^1] : text;
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0) return s;
        r.AddError($"{name} '{text}' must be a number of seconds, like 5 or 5s");
        return 0;
    }

    /// <summary>The client for the member the command names; a usage error when none is named.</summary>
    public static EdgeClient Client(ParseResult parse)
    {
        var member = parse.GetValue(Member)
            ?? throw CliException.Usage("name a member first, like: edgectl 127.0.0.1:5000 " + parse.CommandResult.Command.Name);
        var token = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("EDGE_ADMIN_TOKEN");
        return new EdgeClient(member, token, TimeSpan.FromSeconds(parse.GetValue(Timeout)));
    }

    /// <summary>Sets a command's action to one that talks to the named member.</summary>
    public static Command WithMember(this Command command, Func<ParseResult, EdgeClient, Task<int>> action)
    {
        command.SetAction(async (parse, _) =>
        {
            using var client = Client(parse);
            return await action(parse, client);
        });
        return command;
    }

    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o: command.Options.Add(o); break;
                case Argument a: command.Arguments.Add(a); break;
                case Command c: command.Subcommands.Add(c); break;
            }
        }
        return command;
    }
}
