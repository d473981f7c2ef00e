using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using EdgeCluster.Actors.Partition;
using EdgeCluster.Actors.Replication;
using static EdgeCluster.Actors.Partition.PartitionProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>
/// The management API under /api/admin: partitions (isolate, split, heal, status) and membership (leave, down,
/// down-unreachable, join). With EDGE_ADMIN_TOKEN set every call needs "Authorization: Bearer &lt;token&gt;";
/// without one these endpoints answer only to clients on loopback.
/// </summary>
public static class AdminEndpoints
{
    public const string FanOutClient = "admin-fan-out";

    /// <summary>A member as the management API names it: node name, address and where its HTTP API is.</summary>
    public sealed record Peer(Address Address, string? NodeName, string? HttpUrl, bool Self)
    {
        public string Label => NodeName ?? Address.ToString();
    }

    public sealed record LinkView(string Peer, string? NodeName, DateTimeOffset Since, string Reason);

    public sealed record LinksView(string Node, string Address, int Incarnation, IReadOnlyList<LinkView> Links, IReadOnlyList<string>? Errors = null);

    public sealed record LinkTarget(string Address, string? NodeName, string? HttpUrl);

    public sealed record LinksChange(IReadOnlyList<LinkTarget>? Cut, IReadOnlyList<string>? Heal, bool HealAll, string? Reason);

    public sealed record MemberOutcome(string Node, string Address, bool Ok, IReadOnlyList<string> Cut, string? Error);

    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").AddEndpointFilter(async (context, next) =>
            Guard(context.HttpContext) ?? await next(context));

        admin.MapGet("/links", (NodeServices node) => Results.Ok(node.LocalLinks(null)));
        admin.MapPost("/links", async (HttpContext http, NodeServices node) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            LinksChange? change;
            try { change = body.Json!.Value.Deserialize<LinksChange>(Json); }
            catch (JsonException e) { return ApiErrors.BadRequest("body", $"body is not a links change: {e.Message}"); }
            if (change is null) return ApiErrors.BadRequest("body", "body must be {\"cut\": [...], \"heal\": [...], \"heal_all\": false}");
            if ((change.Cut ?? []).FirstOrDefault(t => !TryAddress(t.Address, out _)) is { } badCut)
                return ApiErrors.BadRequest("cut", $"'{badCut.Address}' is not an actor system address");
            if ((change.Heal ?? []).FirstOrDefault(h => !TryAddress(h, out _)) is { } badHeal)
                return ApiErrors.BadRequest("heal", $"'{badHeal}' is not an actor system address");
            var errors = await node.ApplyLocalAsync(change);
            var view = node.LocalLinks(errors);
            return errors.Count == 0 ? Results.Ok(view) : Results.Json(view, statusCode: StatusCodes.Status500InternalServerError);
        });

        admin.MapGet("/partition", async (NodeServices node) =>
        {
            var peers = await node.DirectoryAsync();
            var rows = await Task.WhenAll(peers.Select(async p =>
            {
                try { return new { Member = p.Label, Address = p.Address.ToString(), State = (object?)await node.LinksOfAsync(p), Error = (string?)null }; }
                catch (Exception e) { return new { Member = p.Label, Address = p.Address.ToString(), State = (object?)null, Error = (string?)e.Message }; }
            }));
            return Results.Ok(new { Members = rows, Partitioned = rows.Any(r => r.State is LinksView { Links.Count: > 0 }) });
        });

        admin.MapPost("/partition/isolate", async (HttpContext http, NodeServices node) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("member", out var m) || m.ValueKind != JsonValueKind.String)
                return ApiErrors.BadRequest("member", "body must name the member to isolate: {\"member\": \"<node name or address>\"}");
            var peers = await node.DirectoryAsync();
            if (Resolve(peers, m.GetString()!) is not { } target) return UnknownMember(peers, m.GetString()!, "member");
            var groups = new List<IReadOnlyList<Peer>> { new[] { target }, peers.Where(p => p != target).ToList() };
            return await node.ApplyAsync(groups, $"isolate {target.Label}");
        });

        admin.MapPost("/partition/split", async (HttpContext http, NodeServices node) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("groups", out var g) || g.ValueKind != JsonValueKind.Array || g.GetArrayLength() < 2
                || g.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String)))
                return ApiErrors.BadRequest("groups", "body must hold two or more groups of members: {\"groups\": [[\"n1\",\"n2\"],[\"n3\"]]}");
            var peers = await node.DirectoryAsync();
            var groups = new List<IReadOnlyList<Peer>>();
            var placed = new HashSet<Peer>();
            foreach (var group in g.EnumerateArray())
            {
                var members = new List<Peer>();
                foreach (var name in group.EnumerateArray().Select(x => x.GetString()!))
                {
                    if (Resolve(peers, name) is not { } peer) return UnknownMember(peers, name, "groups");
                    if (!placed.Add(peer)) return ApiErrors.BadRequest("groups", $"member '{name}' is in more than one group");
                    members.Add(peer);
                }
                if (members.Count == 0) return ApiErrors.BadRequest("groups", "a group must name at least one member");
                groups.Add(members);
            }
            var missing = peers.Where(p => !placed.Contains(p)).Select(p => p.Label).ToList();
            if (missing.Count > 0)
                return ApiErrors.BadRequest("groups", $"every member must be in a group; not placed: {string.Join(", ", missing)}");
            return await node.ApplyAsync(groups, "split " + string.Join(" | ", groups.Select(x => string.Join(",", x.Select(p => p.Label)))));
        });

        admin.MapPost("/partition/heal", async (NodeServices node) => await node.HealAllAsync());

        admin.MapPost("/cluster/leave", async (HttpContext http, NodeServices node) =>
        {
            var member = await OptionalMemberAsync(http);
            if (member.Error is not null) return member.Error;
            var peers = await node.DirectoryAsync();
            var target = member.Name is null ? peers.First(p => p.Self) : Resolve(peers, member.Name);
            if (target is null) return UnknownMember(peers, member.Name!, "member");
            if (target.Self)
            {
                node.Runtime.LeaveRequested = true;
                node.Cluster.Leave(node.Cluster.SelfAddress);
                return Results.Accepted(value: new { Leaving = target.Label, Address = target.Address.ToString() });
            }
            // The member itself is told, so that it knows it left on purpose and stops instead of rejoining.
            return await node.ForwardAsync(target, "/api/admin/cluster/leave", new { });
        });

        admin.MapPost("/cluster/down", async (HttpContext http, NodeServices node) =>
        {
            var member = await OptionalMemberAsync(http);
            if (member.Error is not null) return member.Error;
            if (member.Name is null) return ApiErrors.BadRequest("member", "body must name the member to down: {\"member\": \"<node name or address>\"}");
            var peers = await node.DirectoryAsync();
            if (Resolve(peers, member.Name) is not { } target) return UnknownMember(peers, member.Name, "member");
            var address = node.MemberAddress(target);
            if (address is null) return ApiErrors.NotFound($"'{target.Label}' is not a member of the cluster now", "member");
            node.Cluster.Down(address);
            return Results.Accepted(value: new { Downed = new[] { target.Label } });
        });

        admin.MapPost("/cluster/down-unreachable", (NodeServices node) =>
        {
            var unreachable = node.Cluster.State.Unreachable.Select(m => m.Address).ToList();
            foreach (var address in unreachable) node.Cluster.Down(address);
            return Results.Accepted(value: new { Downed = unreachable.Select(a => a.ToString()) });
        });

        admin.MapPost("/cluster/join", async (HttpContext http, NodeServices node) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("address", out var a) || a.ValueKind != JsonValueKind.String
                || !TryAddress(a.GetString()!, out var address))
                return ApiErrors.BadRequest("address", $"body must give the address to join: {{\"address\": \"{NodeHost.AkkaProtocol}://{NodeHost.ActorSystemName}@host:port\"}} or \"host:port\"");
            node.Cluster.Join(new Address(node.Cluster.SelfAddress.Protocol, NodeHost.ActorSystemName, address.Host, address.Port));
            return Results.Accepted(value: new { Joining = address.ToString() });
        });
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>null when the caller may use the management API; otherwise the refusal (401 or 403).</summary>
    internal static IResult? Guard(HttpContext http)
    {
        var token = http.RequestServices.GetRequiredService<NodeSettings>().AdminToken;
        if (token is null)
        {
            var remote = http.Connection.RemoteIpAddress;
            return remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)
                ? null
                : Results.Json(new ApiErrors.ErrorBody("the management API answers only on loopback unless the node has EDGE_ADMIN_TOKEN set"),
                    statusCode: StatusCodes.Status403Forbidden);
        }
        var header = http.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(token))
            ? null
            : Results.Json(new ApiErrors.ErrorBody("the management API needs \"Authorization: Bearer <EDGE_ADMIN_TOKEN>\"", "Authorization"),
                statusCode: StatusCodes.Status401Unauthorized);
    }

    private static async Task<(string? Name, IResult? Error)> OptionalMemberAsync(HttpContext http)
    {
        if (http.Request.ContentLength is 0 or null && !http.Request.Headers.TransferEncoding.Any()) return (null, null);
        var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
        if (body.Error is not null) return (null, body.Error);
        if (!body.Json!.Value.TryGetProperty("member", out var m)) return (null, null);
        return m.ValueKind == JsonValueKind.String
            ? (m.GetString(), null)
            : (null, ApiErrors.BadRequest("member", "member must be a node name or an address"));
    }

    /// <summary>By node name, full address or host:port.</summary>
    public static Peer? Resolve(IReadOnlyList<Peer> peers, string name)
    {
        var byName = peers.FirstOrDefault(p => string.Equals(p.NodeName, name, StringComparison.OrdinalIgnoreCase));
        if (byName is not null) return byName;
        if (!TryAddress(name, out var address)) return null;
        return peers.FirstOrDefault(p => p.Address.Host == address.Host && p.Address.Port == address.Port);
    }

    private static IResult UnknownMember(IReadOnlyList<Peer> peers, string name, string field) =>
        ApiErrors.NotFound($"no member '{name}'; members: {string.Join(", ", peers.Select(p => p.Label))}", field);

    /// <summary>A full actor system address (any akka protocol) or host:port.</summary>
    public static bool TryAddress(string text, out Address address)
    {
        address = Address.AllSystems;
        if (text.Contains("://"))
        {
            try { address = Address.Parse(text); }
            catch (Exception) { return false; }
            return address.Host is not null && address.Port is not null;
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is <= 0 or > 65535) return false;
        address = new Address(NodeHost.AkkaProtocol, NodeHost.ActorSystemName, text[..colon], port);
        return true;
    }
}

/// <summary>What the management endpoints use of the node; one per request.</summary>
public sealed class NodeServices(ActorSystem system, NodeRuntime runtime, NodeSettings settings, SelfInfo self,
    IRequiredActor<PartitionControllerActor> controller, IRequiredActor<ReplicatorActor> replicator, IHttpClientFactory http)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    public NodeRuntime Runtime => runtime;
    public Cluster Cluster => Cluster.Get(system);

    /// <summary>Every member this node knows of: the cluster's members, members seen by replication, and peers it has cut.</summary>
    public async Task<IReadOnlyList<AdminEndpoints.Peer>> DirectoryAsync()
    {
        var status = await replicator.ActorRef.Ask<ReplicationProtocol.ReplicationStatus>(new ReplicationProtocol.GetStatus(), AskTimeout);
        var selfAddress = PartitionTable.Naked(Cluster.SelfAddress);
        var peers = new Dictionary<Address, AdminEndpoints.Peer>
        {
            [selfAddress] = new(selfAddress, self.NodeName, self.HttpUrl, true),
        };
        void Add(Address a, string? name, string? url)
        {
            var naked = PartitionTable.Naked(a);
            if (peers.TryGetValue(naked, out var known))
                peers[naked] = known with { NodeName = known.NodeName ?? name, HttpUrl = string.IsNullOrEmpty(known.HttpUrl) ? url : known.HttpUrl };
            else peers[naked] = new AdminEndpoints.Peer(naked, name, string.IsNullOrEmpty(url) ? null : url, false);
        }
        foreach (var (address, info) in status.Members) Add(address, info.NodeName, info.HttpUrl);
        foreach (var member in Cluster.State.Members) Add(member.Address, null, null);
        foreach (var cut in runtime.Partitions.Cuts) Add(cut.Peer, cut.NodeName, cut.HttpUrl);
        return peers.Values.OrderBy(p => p.Label, StringComparer.Ordinal).ToList();
    }

    public Address? MemberAddress(AdminEndpoints.Peer peer) =>
        Cluster.State.Members.Select(m => m.Address)
            .FirstOrDefault(a => a.Host == peer.Address.Host && a.Port == peer.Address.Port);

    /// <summary>Applies a links change to this member's controller: heal all, then heal the named, then cut. Addresses are checked by the caller.</summary>
    public async Task<IReadOnlyList<string>> ApplyLocalAsync(AdminEndpoints.LinksChange change)
    {
        var errors = new List<string>();
        if (change.HealAll) errors.AddRange(await ChangeAsync(new HealLinks(null)));
        var heal = (change.Heal ?? []).Select(Parse).ToList();
        if (heal.Count > 0) errors.AddRange(await ChangeAsync(new HealLinks(heal)));
        var cut = (change.Cut ?? []).Select(t => new CutLink(Parse(t.Address), t.NodeName, t.HttpUrl, DateTimeOffset.UtcNow, change.Reason ?? "cut by hand")).ToList();
        if (cut.Count > 0) errors.AddRange(await ChangeAsync(new CutLinks(cut)));
        return errors;

        static Address Parse(string text) => AdminEndpoints.TryAddress(text, out var a) ? a : throw new ArgumentException($"'{text}' is not an address");
    }

    private async Task<IReadOnlyList<string>> ChangeAsync(object change)
    {
        var changed = await controller.ActorRef.Ask<LinksChanged>(change, AskTimeout);
        return changed.Errors;
    }

    public AdminEndpoints.LinksView LocalLinks(IReadOnlyList<string>? errors) =>
        new AdminEndpoints.LinksView(settings.NodeName, Cluster.SelfAddress.ToString(), runtime.Incarnation,
            runtime.Partitions.Cuts.Select(c => new AdminEndpoints.LinkView(c.Peer.ToString(), c.NodeName, c.Since, c.Reason)).ToList(),
            errors is { Count: > 0 } ? errors : null);

    public async Task<AdminEndpoints.LinksView?> LinksOfAsync(AdminEndpoints.Peer peer)
    {
        if (peer.Self) return LocalLinks(null);
        if (peer.HttpUrl is null) throw new InvalidOperationException($"the HTTP address of {peer.Label} is not known here");
        using var request = Request(HttpMethod.Get, peer, "/api/admin/links", null);
        using var response = await http.CreateClient(AdminEndpoints.FanOutClient).SendAsync(request);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{peer.Label} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<AdminEndpoints.LinksView>(AdminEndpoints.Json);
    }

    /// <summary>Each member cuts its links to every member outside its group; both sides of every cut apply it.</summary>
    public async Task<IResult> ApplyAsync(IReadOnlyList<IReadOnlyList<AdminEndpoints.Peer>> groups, string reason)
    {
        var outcomes = await Task.WhenAll(groups.SelectMany(group => group.Select(async member =>
        {
            var others = groups.Where(g => g != group).SelectMany(g => g).ToList();
            var change = new AdminEndpoints.LinksChange(
                others.Select(o => new AdminEndpoints.LinkTarget(o.Address.ToString(), o.NodeName, o.HttpUrl)).ToList(), null, false, reason);
            return await SendChangeAsync(member, change, others.Select(o => o.Label).ToList());
        })));
        return Outcome(reason, outcomes);
    }

    public async Task<IResult> HealAllAsync()
    {
        var peers = await DirectoryAsync();
        var change = new AdminEndpoints.LinksChange(null, null, true, "heal");
        var outcomes = await Task.WhenAll(peers.Select(p => SendChangeAsync(p, change, [])));
        return Outcome("heal", outcomes);
    }

    public async Task<IResult> ForwardAsync(AdminEndpoints.Peer peer, string path, object body)
    {
        if (peer.HttpUrl is null) return ApiErrors.Unavailable($"the HTTP address of {peer.Label} is not known here; ask that member directly");
        using var request = Request(HttpMethod.Post, peer, path, body);
        try
        {
            using var response = await http.CreateClient(AdminEndpoints.FanOutClient).SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return Results.Content(text, "application/json", statusCode: (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return Results.Json(new ApiErrors.ErrorBody($"{peer.Label} at {peer.HttpUrl} did not answer: {e.Message}"), statusCode: StatusCodes.Status502BadGateway);
        }
    }

    private async Task<AdminEndpoints.MemberOutcome> SendChangeAsync(AdminEndpoints.Peer member, AdminEndpoints.LinksChange change, IReadOnlyList<string> cut)
    {
        try
        {
            if (member.Self)
            {
                var errors = await ApplyLocalAsync(change);
                return new(member.Label, member.Address.ToString(), errors.Count == 0, cut, errors.Count == 0 ? null : string.Join("; ", errors));
            }
            if (member.HttpUrl is null)
                return new(member.Label, member.Address.ToString(), false, cut, "its HTTP address is not known here; run the command on that member");
            using var request = Request(HttpMethod.Post, member, "/api/admin/links", change);
            using var response = await http.CreateClient(AdminEndpoints.FanOutClient).SendAsync(request);
            return response.IsSuccessStatusCode
                ? new(member.Label, member.Address.ToString(), true, cut, null)
                : new(member.Label, member.Address.ToString(), false, cut, $"answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        catch (Exception e)
        {
            return new(member.Label, member.Address.ToString(), false, cut, e.Message);
        }
    }

    private HttpRequestMessage Request(HttpMethod method, AdminEndpoints.Peer peer, string path, object? body)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(peer.HttpUrl!), path));
        if (settings.AdminToken is { } token) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, options: AdminEndpoints.Json);
        return request;
    }

    private static IResult Outcome(string action, IReadOnlyList<AdminEndpoints.MemberOutcome> outcomes)
    {
        var failed = outcomes.Count(o => !o.Ok);
        var body = new
        {
            Action = action,
            Members = outcomes,
            Error = failed == 0 ? null : $"{action}: applied on {outcomes.Count - failed} of {outcomes.Count} members; fix the failed ones or heal",
        };
        return Results.Json(body, AdminEndpoints.Json, statusCode: failed == 0 ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
    }
}
