using System.CommandLine;
using System.Text.Json;
using EdgeCluster.Contracts;
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
                JsonElement json;
                try { json = JsonDocument.Parse(text).RootElement.Clone(); }
                catch (JsonException) { json = JsonSerializer.SerializeToElement(text); }
                var reply = await client.PutAsync<KeyValueAnswer>(Path(p.GetValue(key)!, ("consistency", p.GetValue(putConsistency))), new { Value = json });
                return Done(p.GetValue(CommonOptions.Json), reply,
                    $"{p.GetValue(key)} = {text}" + (reply.Siblings.Count > 1 ? $" ({reply.Siblings.Count} concurrent values)" : ""));
            }),
            new Command("get", "read a key on this member: one value, or concurrent siblings with their vector clocks")
                .With(key, getConsistency, resolve).WithMember(async (p, client) =>
                {
                    var reply = await client.GetAsync<KeyValueAnswer>(Path(p.GetValue(key)!, ("consistency", p.GetValue(getConsistency)), ("resolve", p.GetValue(resolve))));
                    if (p.GetValue(CommonOptions.Json)) { Output.Write(reply); return 0; }
                    Print(reply);
                    return 0;
                }));
    }

    /// <summary>The member's answer: a resolved or single value as it is, otherwise every sibling.</summary>
    private static void Print(KeyValueAnswer reply)
    {
        if (reply.Value is { } single && (reply.Resolved is not null || !reply.Conflict))
        {
            Output.Out.WriteLine(Output.Text(single));
            if (reply.Resolved is not null && reply.Siblings.Count > 1)
                Output.Out.WriteLine($"(resolved by {reply.Resolved} from {reply.Siblings.Count} concurrent values)");
            return;
        }
        Output.Table(["VALUE", "WRITER", "WRITTEN AT", "VECTOR CLOCK"], reply.Siblings.Select(s => (IReadOnlyList<string?>)
            [Output.Text(s.Value), s.Writer, s.WrittenAt, string.Join(",", s.VectorClock.Select(c => $"{c.Key}:{c.Value}"))]));
        if (reply.Siblings.Count > 1) Output.Out.WriteLine($"{reply.Siblings.Count} concurrent values; --resolve lww picks the last written");
    }

    private static string Path(string key, params (string Name, string? Value)[] query)
    {
        var given = query.Where(q => q.Value is not null).Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value!)}").ToList();
        return $"/api/kv/{Uri.EscapeDataString(key)}" + (given.Count == 0 ? "" : "?" + string.Join("&", given));
    }
}
