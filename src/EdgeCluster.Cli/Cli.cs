using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli;

/// <summary>A failure edgectl reports as one line on stderr and an exit code: 2 for a wrong command, 1 when the cluster said no.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(message + " (edgectl help lists the commands)", 2);
}

/// <summary>Positional words and --options of one command line.</summary>
public sealed class Args
{
    private static readonly HashSet<string> Flags = ["--json", "--help", "--purge", "--keep"];
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--") { Words.Add(a); continue; }
            var eq = a.IndexOf('=');
            if (eq > 0) _options[a[..eq]] = a[(eq + 1)..];
            else if (Flags.Contains(a)) _options[a] = "true";
            else if (i + 1 < list.Count) _options[a] = list[++i];
            else throw CliException.Usage($"option {a} needs a value");
        }
    }

    public List<string> Words { get; } = new();
    public bool Json => Flag("--json");

    public bool Flag(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? Option(string name)
    {
        _used.Add(name);
        return _options.GetValueOrDefault(name);
    }

    public int IntOption(string name, int fallback, int min = 1, int max = int.MaxValue)
    {
        var text = Option(name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw CliException.Usage($"{name} '{text}' must be a whole number from {min} to {max}");
    }

    public double SecondsOption(string name, double fallback)
    {
        var text = Option(name);
        if (text is null) return fallback;
        var trimmed = text.EndsWith('s') ? text[..^1] : text;
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0
            ? s
            : throw CliException.Usage($"{name} '{text}' must be a number of seconds, like 5 or 5s");
    }

    public string Word(int index, string what) =>
        index < Words.Count ? Words[index] : throw CliException.Usage($"missing {what}");

    /// <summary>Refuses options no command asked for, so a typo is not silently ignored.</summary>
    public void NoOthers()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k) && k is not "--token" and not "--timeout" and not "--json").ToList();
        if (unknown.Count > 0) throw CliException.Usage($"unknown option {string.Join(", ", unknown)} for this command");
    }
}

/// <summary>One member's HTTP API. Turns refusals into CliExceptions that carry the member's own error text.</summary>
public sealed class EdgeClient : IDisposable
{
    private readonly HttpClient _http;

    public EdgeClient(string target, string? token, TimeSpan timeout)
    {
        Target = target;
        var url = target.Contains("://") ? target : "http://" + target;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw CliException.Usage($"'{target}' is not a member's HTTP address; give host:port, like 127.0.0.1:5000");
        _http = new HttpClient { BaseAddress = uri, Timeout = timeout };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public string Target { get; }

    public Task<JsonNode> GetAsync(string path, params HttpStatusCode[] alsoOk) => SendAsync(HttpMethod.Get, path, null, alsoOk);

    public Task<JsonNode> PostAsync(string path, object? body, params HttpStatusCode[] alsoOk) => SendAsync(HttpMethod.Post, path, body, alsoOk);

    public Task<JsonNode> PutAsync(string path, object? body, params HttpStatusCode[] alsoOk) => SendAsync(HttpMethod.Put, path, body, alsoOk);

    public async Task<(HttpStatusCode Status, JsonNode Body)> SendRawAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body, Output.Json), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {Target}: {e.Message}; is a node running there? (edgectl lab up starts three)");
        }
        catch (TaskCanceledException)
        {
            throw new CliException($"{Target} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            JsonNode node;
            try { node = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) ?? new JsonObject(); }
            catch (JsonException) { node = new JsonObject { ["error"] = text }; }
            return (response.StatusCode, node);
        }
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, object? body, HttpStatusCode[] alsoOk)
    {
        var (status, node) = await SendRawAsync(method, path, body);
        if ((int)status is >= 200 and < 300 || alsoOk.Contains(status)) return node;
        var error = node["error"]?.ToString() ?? node.ToJsonString();
        var field = node["field"] is { } f ? $" (field {f})" : "";
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => "; pass --token or set EDGE_ADMIN_TOKEN",
            HttpStatusCode.Forbidden => "; run edgectl on that member, or give every node EDGE_ADMIN_TOKEN and pass --token",
            _ => "",
        };
        throw new CliException($"{Target} answered {(int)status}: {error}{field}{hint}");
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Tables for people, JSON for scripts.</summary>
public static class Output
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static TextWriter Out { get; set; } = Console.Out;

    public static void Write(JsonNode node) => Out.WriteLine(node.ToJsonString(Json));

    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = rows.Select(r => r.Select(c => c ?? "-").ToList()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToList();
        Out.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in all) Out.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
    }

    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
