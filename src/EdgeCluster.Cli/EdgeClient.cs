using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCluster.Contracts;

namespace EdgeCluster.Cli;

/// <summary>
/// One member's HTTP API, answering with the API's own contract records. Turns refusals into CliExceptions that carry
/// the member's own error text and the field it names.
/// </summary>
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

    /// <summary>The member's MQTT door over WebSockets, on its HTTP port (ws://host:port/mqtt).</summary>
    public Uri MqttWebSocket => new UriBuilder(_http.BaseAddress!) { Scheme = _http.BaseAddress!.Scheme == "https" ? "wss" : "ws", Path = "/mqtt" }.Uri;

    /// <summary>
    /// The member's live events (<c>GET /api/events</c>, Server-Sent Events) until <paramref name="until"/>: each event's type
    /// and JSON data, as the member sends them.
    /// </summary>
    public async IAsyncEnumerable<(string Type, string Json)> EventsAsync(DateTime until)
    {
        using var stop = new CancellationTokenSource();
        if (until < DateTime.MaxValue) stop.CancelAfter(until - DateTime.UtcNow is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync("/api/events", HttpCompletionOption.ResponseHeadersRead);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach {Target}: {e.Message}; is a node running there? (edgectl lab up starts three)");
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw new CliException($"{Target} answered {(int)response.StatusCode} to /api/events");
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            string? type = null;
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                if (line is null) yield break;
                if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                {
                    yield return (type, line[6..]);
                    type = null;
                }
            }
        }
    }

    public Task<T> GetAsync<T>(string path, params HttpStatusCode[] alsoOk) => SendAsync<T>(HttpMethod.Get, path, null, alsoOk);

    public Task<T> PostAsync<T>(string path, object? body, params HttpStatusCode[] alsoOk) => SendAsync<T>(HttpMethod.Post, path, body, alsoOk);

    /// <summary>A POST that carries <paramref name="bearer"/> (a device's token) instead of the admin token.</summary>
    public Task<T> PostAsAsync<T>(string path, object? body, string bearer) => SendAsync<T>(HttpMethod.Post, path, body, [], bearer);

    public Task<T> PutAsync<T>(string path, object? body, params HttpStatusCode[] alsoOk) => SendAsync<T>(HttpMethod.Put, path, body, alsoOk);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, HttpStatusCode[] alsoOk, string? bearer = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: ApiJson.Options);
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
            var status = response.StatusCode;
            if ((int)status is >= 200 and < 300 || alsoOk.Contains(status))
            {
                try
                {
                    return JsonSerializer.Deserialize<T>(text, ApiJson.Options) ?? throw new JsonException("empty answer");
                }
                catch (JsonException e)
                {
                    throw new CliException($"{Target} answered {(int)status} with something edgectl cannot read ({e.Message}): {Short(text)}");
                }
            }
            throw Refusal(status, text);
        }
    }

    private CliException Refusal(HttpStatusCode status, string text)
    {
        ApiError? error = null;
        try { error = JsonSerializer.Deserialize<ApiError>(text, ApiJson.Options); }
        catch (JsonException) { }
        var message = error?.Error ?? Short(text);
        var field = error?.Field is { } f ? $" (field {f})" : "";
        var hint = status switch
        {
            HttpStatusCode.Unauthorized when message.Contains("device's token") || message.Contains("registered device's token") =>
                "; pass --device-token or set EDGE_DEVICE_TOKEN (the token its registration answered)",
            HttpStatusCode.Unauthorized => "; pass --token or set EDGE_ADMIN_TOKEN",
            HttpStatusCode.Forbidden => "; run edgectl on that member, or give every node EDGE_ADMIN_TOKEN and pass --token",
            _ => "",
        };
        return new CliException($"{Target} answered {(int)status}: {message}{field}{hint}");
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] : text;

    public void Dispose() => _http.Dispose();
}
