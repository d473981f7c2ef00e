using System.Text.Json;
using EdgeCluster.Contracts;

namespace EdgeCluster.Cli;

/// <summary>Tables for people, JSON for scripts (the API's own field names, indented).</summary>
public static class Output
{
    public static readonly JsonSerializerOptions Json = new(ApiJson.Options) { WriteIndented = true };

    private static readonly JsonSerializerOptions OneLine = ApiJson.Options;

    public static TextWriter Out { get; set; } = Console.Out;

    public static void Write<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>One JSON document per line, for followed streams (tails).</summary>
    public static void Line<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, OneLine));

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? "-").ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToList();
        Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all) Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }

    /// <summary>A JSON value as a person reads it: a string without quotes, anything else as JSON.</summary>
    public static string Text(JsonElement? value) => value switch
    {
        null => "-",
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        { } v => v.GetRawText(),
    };
}
