using System.Text.Json.Nodes;

namespace EdgeCluster.Cli.Commands;

/// <summary>What several commands print the same way: a done line, a fan-out's table, members of a cluster view.</summary>
public static class Replies
{
    public static int Done(bool json, JsonNode reply, string message)
    {
        if (json) Output.Write(reply);
        else Output.Out.WriteLine(message);
        return 0;
    }

    /// <summary>A change fanned out to members: a row per member, exit 1 when any failed.</summary>
    public static int Applied(bool json, JsonNode reply)
    {
        if (json) Output.Write(reply);
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

    public static IEnumerable<JsonNode> Members(JsonNode cluster) => cluster["members"]?.AsArray().Select(m => m!) ?? [];

    public static string? NameOf(JsonNode cluster, string? address) =>
        Members(cluster).FirstOrDefault(m => Output.Text(m["address"]) == address) is { } m ? Output.Text(m["node_name"]) : null;

    /// <summary>A number as JSON: whole numbers stay integers, so a device id or seq is sent as the member expects.</summary>
    public static JsonNode Number(double d) =>
        d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);

    /// <summary>When a tail with --for stops; without --for it runs until Ctrl-C.</summary>
    public static DateTime Until(double seconds) =>
        double.IsInfinity(seconds) ? DateTime.MaxValue : DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
}
