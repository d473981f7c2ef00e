using EdgeCluster.Contracts;
using System.Net.Http.Json;
using EdgeCluster.Actors;

namespace EdgeCluster.Node.Http;

/// <summary>What another member answered to a forwarded request, or why it did not.</summary>
public sealed record Forwarded(int Status, string? Body, string? Error);

/// <summary>
/// The management API's client for the other members: fans a links change out to both sides of a cut over HTTP (not
/// remoting, so a heal reaches members whose remoting is cut), reads their links, forwards requests. Returns data; the
/// endpoints turn it into answers.
/// </summary>
public sealed class AdminFanOut(IHttpClientFactory http, NodeSettings settings, MemberDirectory directory, LocalLinks local)
{
    public const string ClientName = "admin-fan-out";

    /// <summary>Every member's links, read from each member.</summary>
    public async Task<PartitionView> PartitionAsync()
    {
        var rows = await Task.WhenAll(directory.Members().Select(async p =>
        {
            try { return new MemberLinks(p.Label, p.Address.ToString(), await LinksOfAsync(p), null); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException)
            {
                return new MemberLinks(p.Label, p.Address.ToString(), null, e.Message);
            }
        }));
        return new PartitionView(rows, rows.Any(r => r.State is { Links.Count: > 0 }));
    }

    private async Task<LinksView?> LinksOfAsync(MemberEntry member)
    {
        if (member.Self) return local.View(null);
        if (member.HttpUrl is null) throw new InvalidOperationException($"the HTTP address of {member.Label} is not known here");
        using var request = Request(HttpMethod.Get, member, "/api/admin/links", null);
        using var response = await Client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{member.Label} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<LinksView>(ApiJson.Options);
    }

    /// <summary>Each member cuts its links to every member outside its group; both sides of every cut apply it.</summary>
    public async Task<FanOutResult> ApplyAsync(IReadOnlyList<IReadOnlyList<MemberEntry>> groups, string reason)
    {
        var outcomes = await Task.WhenAll(groups.SelectMany(group => group.Select(member =>
        {
            var others = groups.Where(g => g != group).SelectMany(g => g).ToList();
            var change = new LinksChange(others.Select(o => new LinkTarget(o.Address.ToString(), o.NodeName, o.HttpUrl)).ToList(), null, false, reason);
            return SendChangeAsync(member, change, others.Select(o => o.Label).ToList());
        })));
        return Result(reason, outcomes);
    }

    public async Task<FanOutResult> HealAllAsync()
    {
        var change = new LinksChange(null, null, true, "heal");
        var outcomes = await Task.WhenAll(directory.Members().Select(p => SendChangeAsync(p, change, [])));
        return Result("heal", outcomes);
    }

    public Task<Forwarded> ForwardAsync(MemberEntry member, string path, object body) => SendAsync(member, HttpMethod.Post, path, body);

    /// <summary>What another member answers to a GET (a read of its own view, as the consistency lab shows each member's).</summary>
    public Task<Forwarded> ReadAsync(MemberEntry member, string path) => SendAsync(member, HttpMethod.Get, path, null);

    private async Task<Forwarded> SendAsync(MemberEntry member, HttpMethod method, string path, object? body)
    {
        if (member.HttpUrl is null)
            return new Forwarded(StatusCodes.Status503ServiceUnavailable, null, $"the HTTP address of {member.Label} is not known here; ask that member directly");
        using var request = Request(method, member, path, body);
        try
        {
            using var response = await Client.SendAsync(request);
            return new Forwarded((int)response.StatusCode, await response.Content.ReadAsStringAsync(), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Forwarded(StatusCodes.Status502BadGateway, null, $"{member.Label} at {member.HttpUrl} did not answer: {e.Message}");
        }
    }

    private HttpClient Client => http.CreateClient(ClientName);

    private async Task<MemberOutcome> SendChangeAsync(MemberEntry member, LinksChange change, IReadOnlyList<string> cut)
    {
        try
        {
            if (member.Self)
            {
                var errors = await local.ApplyAsync(change);
                return new(member.Label, member.Address.ToString(), errors.Count == 0, cut, errors.Count == 0 ? null : string.Join("; ", errors));
            }
            if (member.HttpUrl is null)
                return new(member.Label, member.Address.ToString(), false, cut, "its HTTP address is not known here; run the command on that member");
            using var request = Request(HttpMethod.Post, member, "/api/admin/links", change);
            using var response = await Client.SendAsync(request);
            return response.IsSuccessStatusCode
                ? new(member.Label, member.Address.ToString(), true, cut, null)
                : new(member.Label, member.Address.ToString(), false, cut, $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Akka.Actor.AskTimeoutException or ArgumentException)
        {
            return new(member.Label, member.Address.ToString(), false, cut, e.Message);
        }
    }

    private HttpRequestMessage Request(HttpMethod method, MemberEntry member, string path, object? body)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(member.HttpUrl!), path));
        if (settings.AdminToken is { } token) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, options: ApiJson.Options);
        return request;
    }

    private static FanOutResult Result(string action, IReadOnlyList<MemberOutcome> outcomes)
    {
        var failed = outcomes.Count(o => !o.Ok);
        return new FanOutResult(action, outcomes,
            failed == 0 ? null : $"{action}: applied on {outcomes.Count - failed} of {outcomes.Count} members; fix the failed ones or heal");
    }
}
