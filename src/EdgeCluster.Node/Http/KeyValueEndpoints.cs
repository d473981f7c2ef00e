using EdgeCluster.Contracts;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.KeyValue;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.KeyValue.KeyValueProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>
/// The consistency-experiment store: PUT/GET /api/kv/{key}, ?consistency=eventual|strong, GET ?resolve=lww, and
/// GET ?members=all for the key as every member holds it.
/// </summary>
public static class KeyValueEndpoints
{
    public const int MaxKeyLength = 200;

    public static void MapKeyValueEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPut("/api/kv/{key}", async (string key, HttpContext http, IRequiredActor<KeyValueActor> kv, DeviceAuth auth) =>
        {
            // On a shared network (device tokens on) a write here is the admin's, from edgectl or the dashboard.
            if (auth.GuardAdmin(http) is { } refused) return refused;
            if (!ValidKey(key, out var keyError)) return keyError;
            if (!RequestInput.TryConsistency(http.Request, out var strong, out var consistencyError)) return consistencyError;
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (body.Json!.Value.ValueKind != JsonValueKind.Object || !body.Json.Value.TryGetProperty("value", out var value))
                return ApiErrors.BadRequest("value", "body must be a JSON object with a 'value' field: {\"value\": <any JSON>}");
            return Reply(await AskAsync(kv.ActorRef, new Put(key, value.GetRawText(), strong)), resolve: false);
        });
        app.MapGet("/api/kv/{key}", async (string key, HttpRequest request, IRequiredActor<KeyValueActor> kv, MemberDirectory directory,
            AdminFanOut fanOut) =>
        {
            if (!ValidKey(key, out var keyError)) return keyError;
            if (request.Query.TryGetValue("members", out var members))
            {
                if (members.ToString() != "all") return ApiErrors.BadRequest("members", "members must be all (each member's own eventual read)");
                return TypedResults.Ok(await EveryMemberAsync(key, directory, fanOut));
            }
            if (!RequestInput.TryConsistency(request, out var strong, out var consistencyError)) return consistencyError;
            var resolve = request.Query["resolve"].ToString();
            if (resolve.Length > 0 && resolve != "lww") return ApiErrors.BadRequest("resolve", "resolve must be lww");
            return Reply(await AskAsync(kv.ActorRef, new Get(key, strong)), resolve: resolve == "lww");
        });
    }

    /// <summary>
    /// The key as each member holds it now (a local, eventual read on each, asked over HTTP so that a member whose
    /// remoting is cut still answers): the consistency lab's table of diverging and converging members.
    /// </summary>
    private static async Task<KeyValueEverywhere> EveryMemberAsync(string key, MemberDirectory directory, AdminFanOut fanOut)
    {
        var answers = await Task.WhenAll(directory.Members().Select(async m =>
        {
            var read = await fanOut.ReadAsync(m, $"/api/kv/{Uri.EscapeDataString(key)}");
            JsonElement? body = null;
            if (read.Body is { Length: > 0 })
            {
                try { body = Parse(read.Body); }
                catch (JsonException) { }
            }
            return new MemberKeyValue(m.Label, m.Address.ToString(), m.Self, m.Reachable, read.Status, body, read.Error);
        }));
        return new KeyValueEverywhere(key, answers);
    }

    private static async Task<IKeyValueResult> AskAsync(IActorRef kv, object message)
    {
        try
        {
            return await kv.Ask<IKeyValueResult>(message, TimeSpan.FromSeconds(10));
        }
        catch (AskTimeoutException)
        {
            return new NoMajority("", 0, 0, 0, "the store did not answer in time");
        }
    }

    private static IResult Reply(IKeyValueResult result, bool resolve) => result switch
    {
        Value v => TypedResults.Ok(new KeyValueAnswer(
            v.Key,
            v.Siblings.Count == 1 || resolve && v.Siblings.Count > 0
                ? Parse((resolve ? Siblings.ResolveLww(v.Siblings) : v.Siblings[0]).ValueJson)
                : null,
            v.Siblings.Count > 1,
            resolve && v.Siblings.Count > 1 ? "lww" : null,
            v.Siblings.Select(s => new SiblingView(Parse(s.ValueJson), s.Clock, s.Writer, Storage.TimeText.FromUnixMs(s.WrittenAtMs))).ToList(),
            v.Acknowledged,
            v.Required,
            v.Members)),
        NotFound nf => ApiErrors.NotFound($"key '{nf.Key}' has no value", "key"),
        NoMajority n => TypedResults.Json(new KeyValueNoMajority($"no majority: {n.Reason}", n.Required, n.Members, n.Reachable),
            statusCode: StatusCodes.Status503ServiceUnavailable),
        _ => ApiErrors.Unavailable("the store did not answer"),
    };

    private static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static bool ValidKey(string key, out IResult error)
    {
        error = Results.Empty;
        if (key.Length is > 0 and <= MaxKeyLength && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')) return true;
        error = ApiErrors.BadRequest("key", $"key must be 1-{MaxKeyLength} letters, digits, '-', '_', '.' or ':'");
        return false;
    }
}
