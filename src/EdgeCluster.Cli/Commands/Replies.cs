using EdgeCluster.Contracts;

namespace EdgeCluster.Cli.Commands;

/// <summary>What several commands print the same way: a done line, a fan-out's table, members of a cluster view.</summary>
public static class Replies
{
    public static int Done<T>(bool json, T reply, string message)
    {
        if (json) Output.Write(reply);
        else Output.Out.WriteLine(message);
        return 0;
    }

    /// <summary>A change fanned out to members: a row per member, exit 1 when any failed.</summary>
    public static int Applied(bool json, FanOutResult reply)
    {
        if (json) Output.Write(reply);
        else
        {
            Output.Table(["MEMBER", "APPLIED", "CUT FROM", "ERROR"], reply.Members.Select(m => (IReadOnlyList<string?>)
                [m.Node, m.Ok ? "yes" : "NO", string.Join(",", m.Cut), m.Error]));
        }
        if (reply.Error is { } error)
        {
            Console.Error.WriteLine($"edgectl: {error}");
            return 1;
        }
        return 0;
    }

    public static string? NameOf(ClusterView cluster, string? address) =>
        cluster.Members.FirstOrDefault(m => m.Address == address)?.NodeName;

    /// <summary>A number as JSON: whole numbers stay integers, so a device id or seq is sent as the member expects.</summary>
    public static object Number(double d) => d == Math.Floor(d) && Math.Abs(d) < 1e15 ? (long)d : d;

    /// <summary>When a tail with --for stops; without --for it runs until Ctrl-C.</summary>
    public static DateTime Until(double seconds) =>
        double.IsInfinity(seconds) ? DateTime.MaxValue : DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
}
