using System.CommandLine;
using System.Text.Json;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary>
/// <c>edgectl &lt;member&gt; events [--type reading,status,members,partition] [--for S]</c>: the member's live event stream,
/// the one its dashboard follows (<c>GET /api/events</c>): stored readings (at most 4 a second per device), device status
/// changes, membership and reachability changes, and the links this member cut or healed.
/// </summary>
public static class EventsCommand
{
    private static readonly string[] Types = ["reading", "status", "members", "partition"];

    public static Command Build()
    {
        var types = new Option<string[]>("--type")
        {
            Description = "only these event types: reading, status, members, partition (default: all)",
            AllowMultipleArgumentsPerToken = true,
        };
        types.AcceptOnlyFromAmong(Types);
        var forSeconds = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");
        return new Command("events", "the member's live events: readings, device status, membership, cut links (what its dashboard shows)")
            .With(types, forSeconds)
            .WithMember(async (p, client) =>
            {
                var only = p.GetValue(types) is { Length: > 0 } chosen ? chosen.ToHashSet() : Types.ToHashSet();
                var json = p.GetValue(CommonOptions.Json);
                await foreach (var (type, data) in client.EventsAsync(Until(p.GetValue(forSeconds))))
                {
                    if (!only.Contains(type)) continue;
                    using var document = JsonDocument.Parse(data);
                    if (json) Output.Line(new { Type = type, Data = document.RootElement });
                    else Output.Out.WriteLine($"{DateTimeOffset.Now:HH:mm:ss.fff}  {type,-8} {Describe(type, document.RootElement)}");
                    Output.Out.Flush();
                }
                return 0;
            });
    }

    private static string Describe(string type, JsonElement e) => type switch
    {
        "reading" => $"device {e.GetProperty("device_id")}  {e.GetProperty("temperature")} C  {e.GetProperty("humidity")} %  " +
                     $"at {e.GetProperty("timestamp").GetString()}  from {e.GetProperty("origin_node").GetString()}",
        "status" => $"device {e.GetProperty("device_id")}  {(e.TryGetProperty("from", out var from) ? from.GetString() : "new")} -> {e.GetProperty("to").GetString()}",
        "members" => $"{e.GetProperty("event").GetString()}  {e.GetProperty("member").GetString()}",
        "partition" => e.GetProperty("cuts").GetArrayLength() == 0
            ? "no links cut"
            : "links cut to " + string.Join(", ", e.GetProperty("cuts").EnumerateArray().Select(c =>
                $"{(c.TryGetProperty("node_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : c.GetProperty("peer").GetString())} " +
                $"since {c.GetProperty("since").GetDateTimeOffset():HH:mm:ss}")),
        _ => e.ToString(),
    };
}
