using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; kv ...</c>: the CAP demo's key-value store, eventual or strong.</summary>
public static class KeyValueCommands
{
    public static Command Build()
    {
        var key = new Argument<string>("key") { Description = "the key" };
        var value = new Argument<string>("value") { Description = "the value: JSON, or else a string" };
        var putConsistency = CommonOptions.Consistency();
        var getConsistency = CommonOptions.Consistency();
        var resolve = CommonOptions.Choice("--resolve", "lww: one value, the last writer wins, instead of every concurrent sibling", "lww");

        return new Command("kv", "the key-value store for consistency experiments").With(
            new Command("put", "write a key on this member").With(key, value, putConsistency).WithMember(async (p, client) =>
            {
                var text = p.GetValue(value)!;
                JsonNode? json;
                try { json = JsonNode.Parse(text); }
                catch (JsonException) { json = JsonValue.Create(text); }
                var reply = await client.PutAsync(Path(p.GetValue(key)!, ("consistency", p.GetValue(putConsistency))), new JsonObject { ["value"] = json });
                return Done(p.GetValue(CommonOptions.Json), reply,
                    $"{p.GetValue(key)} = {text}" + (reply["siblings"] is JsonArray { Count: > 1 } s ? $" ({s.Count} concurrent values)" : ""));
            }),
            new Command("get", "read a key on this member: one value, or concurrent siblings with their vector clocks")
                .With(key, getConsistency, resolve).WithMember(async (p, client) =>
                {
                    var reply = await client.GetAsync(Path(p.GetValue(key)!, ("consistency", p.GetValue(getConsistency)), ("resolve", p.GetValue(resolve))));
                    if (p.GetValue(CommonOptions.Json)) { Output.Write(reply); return 0; }
                    Print(reply);
                    return 0;
                }));
    }

    /// <summary>The member's answer: a resolved or single value as it is, otherwise every sibling.</summary>
    private static void Print(JsonNode reply)
    {
        var resolved = reply["resolved"] is not null;
        if (reply["value"] is { } single && (resolved || reply["conflict"]?.GetValue<bool>() != true))
        {
            Output.Out.WriteLine(Output.Text(single));
            if (resolved && reply["siblings"] is JsonArray { Count: > 1 } all)
                Output.Out.WriteLine($"(resolved by {Output.Text(reply["resolved"])} from {all.Count} concurrent values)");
        }
        else if (reply["siblings"] is JsonArray siblings)
        {
            Output.Table(["VALUE", "WRITER", "WRITTEN AT", "VECTOR CLOCK"], siblings.Select(s => (IReadOnlyList<string?>)
                [Output.Text(s!["value"]), Output.Text(s["writer"]), Output.Text(s["written_at"]), Output.Text(s["vector_clock"])]));
            if (siblings.Count > 1) Output.Out.WriteLine($"{siblings.Count} concurrent values; --resolve lww picks the last written");
        }
        else Output.Out.WriteLine(Output.Text(reply["value"]) ?? reply.ToJsonString());
    }

    private static string Path(string key, params (string Name, string? Value)[] query)
    {
        var given = query.Where(q => q.Value is not null).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToList();
        return $"/api/kv/{Uri.EscapeDataString(key)}" + (given.Count == 0 ? "" : "?" + string.Join("&", given));
    }
}
