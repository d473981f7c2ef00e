using EdgeCluster.Contracts;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using EdgeCluster.Actors;

namespace EdgeCluster.Node.Http;

/// <summary>
/// The management API under /api/admin: partitions (isolate, split, heal, status) and membership (leave, down,
/// down-unreachable, join). With EDGE_ADMIN_TOKEN set every call needs "Authorization: Bearer &lt;token&gt;";
/// without one these endpoints answer only to clients on loopback.
/// </summary>
public static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").AddEndpointFilter(async (context, next) =>
            Guard(context.HttpContext) ?? await next(context));

        admin.MapGet("/links", (LocalLinks links) => Results.Ok(links.View(null)));
        admin.MapPost("/links", async (HttpContext http, LocalLinks links) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            LinksChange? change;
            try { change = body.Json!.Value.Deserialize<LinksChange>(ApiJson.Options); }
            catch (JsonException e) { return ApiErrors.BadRequest("body", $"body is not a links change: {e.Message}"); }
            if (change is null) return ApiErrors.BadRequest("body", "body must be {\"cut\": [...], \"heal\": [...], \"heal_all\": false}");
            if ((change.Cut ?? []).FirstOrDefault(t => !TryAddress(t.Address, out _)) is { } badCut)
                return ApiErrors.BadRequest("cut", $"'{badCut.Address}' is not an actor system address");
            if ((change.Heal ?? []).FirstOrDefault(h => !TryAddress(h, out _)) is { } badHeal)
                return ApiErrors.BadRequest("heal", $"'{badHeal}' is not an actor system address");
            var errors = await links.ApplyAsync(change);
            var view = links.View(errors);
            return errors.Count == 0 ? Results.Ok(view) : Results.Json(view, statusCode: StatusCodes.Status500InternalServerError);
        });

        admin.MapGet("/partition", async (AdminFanOut fanOut) => Results.Ok(await fanOut.PartitionAsync()));

        admin.MapPost("/partition/isolate", async (HttpContext http, MemberDirectory directory, AdminFanOut fanOut) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("member", out var m) || m.ValueKind != JsonValueKind.String)
                return ApiErrors.BadRequest("member", "body must name the member to isolate: {\"member\": \"<node name or address>\"}");
            var peers = directory.Members();
            if (Resolve(peers, m.GetString()!) is not { } target) return UnknownMember(peers, m.GetString()!, "member");
            var groups = new List<IReadOnlyList<MemberEntry>> { new[] { target }, peers.Where(p => p != target).ToList() };
            return Outcome(await fanOut.ApplyAsync(groups, $"isolate {target.Label}"));
        });

        admin.MapPost("/partition/split", async (HttpContext http, MemberDirectory directory, AdminFanOut fanOut) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("groups", out var g) || g.ValueKind != JsonValueKind.Array || g.GetArrayLength() < 2
                || g.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String)))
                return ApiErrors.BadRequest("groups", "body must hold two or more groups of members: {\"groups\": [[\"n1\",\"n2\"],[\"n3\"]]}");
            var names = g.EnumerateArray().Select(group => (IReadOnlyList<string>)group.EnumerateArray().Select(x => x.GetString()!).ToList()).ToList();
            var peers = directory.Members();
            var (groups, error) = PlaceInGroups(peers, names);
            if (error is not null) return error;
            return Outcome(await fanOut.ApplyAsync(groups, "split " + string.Join(" | ", groups.Select(x => string.Join(",", x.Select(p => p.Label))))));
        });

        admin.MapPost("/partition/heal", async (AdminFanOut fanOut) => Outcome(await fanOut.HealAllAsync()));

        admin.MapPost("/cluster/leave", async (HttpContext http, MemberDirectory directory, AdminFanOut fanOut, NodeRuntime runtime) =>
        {
            var member = await OptionalMemberAsync(http);
            if (member.Error is not null) return member.Error;
            var peers = directory.Members();
            var target = member.Name is null ? peers.First(p => p.Self) : Resolve(peers, member.Name);
            if (target is null) return UnknownMember(peers, member.Name!, "member");
            if (target.Self)
            {
                runtime.LeaveRequested = true;
                directory.Cluster.Leave(directory.Cluster.SelfAddress);
                return TypedResults.Accepted((string?)null, new LeaveAccepted(target.Label, target.Address.ToString()));
            }
            // The member itself is told, so that it knows it left on purpose and stops instead of rejoining.
            var forwarded = await fanOut.ForwardAsync(target, "/api/admin/cluster/leave", new { });
            return forwarded.Body is null
                ? Results.Json(new ApiError(forwarded.Error!), statusCode: forwarded.Status)
                : Results.Content(forwarded.Body, "application/json", statusCode: forwarded.Status);
        });

        admin.MapPost("/cluster/down", async (HttpContext http, MemberDirectory directory) =>
        {
            var member = await OptionalMemberAsync(http);
            if (member.Error is not null) return member.Error;
            if (member.Name is null) return ApiErrors.BadRequest("member", "body must name the member to down: {\"member\": \"<node name or address>\"}");
            var peers = directory.Members();
            if (Resolve(peers, member.Name) is not { } target) return UnknownMember(peers, member.Name, "member");
            var address = directory.CurrentAddress(target);
            if (address is null) return ApiErrors.NotFound($"'{target.Label}' is not a member of the cluster now", "member");
            directory.Cluster.Down(address);
            return TypedResults.Accepted((string?)null, new DownAccepted([target.Label]));
        });

        admin.MapPost("/cluster/down-unreachable", (MemberDirectory directory) =>
        {
            var unreachable = directory.Cluster.State.Unreachable.Select(m => m.Address).ToList();
            foreach (var address in unreachable) directory.Cluster.Down(address);
            return TypedResults.Accepted((string?)null, new DownAccepted(unreachable.Select(a => a.ToString()).ToList()));
        });

        admin.MapPost("/cluster/join", async (HttpContext http, MemberDirectory directory) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (!body.Json!.Value.TryGetProperty("address", out var a) || a.ValueKind != JsonValueKind.String
                || !TryAddress(a.GetString()!, out var address))
                return ApiErrors.BadRequest("address", $"body must give the address to join: {{\"address\": \"{NodeHost.AkkaProtocol}://{NodeHost.ActorSystemName}@host:port\"}} or \"host:port\"");
            directory.Cluster.Join(new Address(directory.Cluster.SelfAddress.Protocol, NodeHost.ActorSystemName, address.Host, address.Port));
            return TypedResults.Accepted((string?)null, new JoinAccepted(address.ToString()));
        });

        // Tiered retention now, on this member (each member expires its own copy).
        admin.MapPost("/retention/run", async (HttpContext http) =>
            http.RequestServices.GetService<Retention.RetentionService>() is { } retention
                ? Results.Ok(await retention.RunAsync(force: true, http.RequestAborted))
                : Results.Json(new ApiError("retention is off on this member: start it with --retention on (or hot=...,warm=...,cold=...)", "retention"),
                    statusCode: StatusCodes.Status409Conflict));
    }


    /// <summary>Whether <paramref name="given"/> is the admin token, compared in constant time (HTTP bearer, MQTT password).</summary>
    internal static bool IsAdminToken(string admin, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(admin));

    /// <summary>null when the caller may use the management API; otherwise the refusal (401 or 403).</summary>
    internal static IResult? Guard(HttpContext http)
    {
        var token = http.RequestServices.GetRequiredService<NodeSettings>().AdminToken;
        if (token is null)
        {
            var remote = http.Connection.RemoteIpAddress;
            return remote is not null && IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)
                ? null
                : Results.Json(new ApiError("the management API answers only on loopback unless the node has EDGE_ADMIN_TOKEN set"),
                    statusCode: StatusCodes.Status403Forbidden);
        }
        var header = http.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        return IsAdminToken(token, given)
            ? null
            : Results.Json(new ApiError("the management API needs \"Authorization: Bearer <EDGE_ADMIN_TOKEN>\"", "Authorization"),
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
    /// <summary>
    /// The split's groups as members: every member in exactly one group. A node listed twice — its downed incarnation
    /// still known at another address while the new one joins (a restarted node whose Akka port the OS chose) — goes
    /// with the group that names it, so a split names each node once.
    /// </summary>
    internal static (IReadOnlyList<IReadOnlyList<MemberEntry>> Groups, IResult? Error) PlaceInGroups(IReadOnlyList<MemberEntry> peers,
        IReadOnlyList<IReadOnlyList<string>> names)
    {
        var groups = new List<List<MemberEntry>>();
        var placed = new HashSet<MemberEntry>();
        foreach (var group in names)
        {
            var members = new List<MemberEntry>();
            foreach (var name in group)
            {
                if (Resolve(peers, name) is not { } peer) return ([], UnknownMember(peers, name, "groups"));
                if (!placed.Add(peer)) return ([], ApiErrors.BadRequest("groups", $"member '{name}' is in more than one group"));
                members.Add(peer);
            }
            if (members.Count == 0) return ([], ApiErrors.BadRequest("groups", "a group must name at least one member"));
            groups.Add(members);
        }
        foreach (var peer in peers.Where(p => !placed.Contains(p) && p.NodeName is not null))
        {
            if (groups.FirstOrDefault(g => g.Any(m => string.Equals(m.NodeName, peer.NodeName, StringComparison.OrdinalIgnoreCase))) is not { } same)
                continue;
            same.Add(peer);
            placed.Add(peer);
        }
        var missing = peers.Where(p => !placed.Contains(p)).Select(p => p.Label).Distinct().ToList();
        return missing.Count > 0
            ? ([], ApiErrors.BadRequest("groups", $"every member must be in a group; not placed: {string.Join(", ", missing)}"))
            : (groups, null);
    }

    public static MemberEntry? Resolve(IReadOnlyList<MemberEntry> peers, string name) =>
        MemberDirectory.Resolve(peers, name, text => TryAddress(text, out var a) ? a : null);

    /// <summary>200 when every member applied the change, 502 naming how many did otherwise.</summary>
    private static IResult Outcome(FanOutResult result) =>
        Results.Json(result, ApiJson.Options, statusCode: result.Error is null ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);

    private static IResult UnknownMember(IReadOnlyList<MemberEntry> peers, string name, string field) =>
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
