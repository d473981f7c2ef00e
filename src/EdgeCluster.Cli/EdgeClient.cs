using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeCluster.Cli;

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
