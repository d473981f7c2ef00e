using EdgeCluster.Contracts;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Actors.Replication;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>The lab's write endpoints: one reading (JSON, form or query string) and batches.</summary>
public static class ReadingEndpoints
{
    public const int MaxBatch = 10_000;

    /// <summary>429 before the body is read when this client address sent more than its share; counted as refused.</summary>
    private static IResult? SenderLimited(HttpContext http, IngestLimits limits)
    {
        if (limits.Sender(http.Connection.RemoteIpAddress?.ToString() ?? "unknown") is not { } wait) return null;
        EdgeMetrics.Refused("http", "rate_limited");
        return IngestLimits.TooMany(http, wait, $"this address sent more than {limits.PerSender} requests a second; retry after the Retry-After seconds", null);
    }

    /// <summary>429 when a device of the request sent more readings than its share; nothing of the request is stored.</summary>
    private static IResult? DeviceLimited(HttpContext http, IngestLimits limits, IReadOnlyList<Reading> readings)
    {
        if (limits.Devices(readings) is not { } limited) return null;
        EdgeMetrics.Refused("http", "rate_limited");
        return IngestLimits.TooMany(http, limited.Wait,
            $"device {limited.Device} sent more than {limits.PerDevice} readings a second; nothing was stored, retry after the Retry-After seconds", "device_id");
    }

    public static void MapReadingEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/reading", ["GET", "POST"], PostReading);
        app.MapPost("/api/readings/batch", PostBatch);
    }

    private static async Task<IResult> PostReading(HttpContext http, IRequiredActor<DeviceManagerActor> devices,
        IRequiredActor<ReplicatorActor> replicator, ActorSystem system, IngestSettings ingest, DeviceAuth auth, IngestLimits limits)
    {
        var request = http.Request;
        if (SenderLimited(http, limits) is { } busy) return busy;
        if (auth.Demand(request) is { } unauthenticated) return unauthenticated;
        if (!RequestInput.TryConsistency(request, out var strong, out var consistencyError)) return consistencyError;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        RawReading raw;
        if (request.Query.ContainsKey("device_id") || HttpMethods.IsGet(request.Method))
            raw = RequestInput.RawReadingFrom(name => request.Query[name]);
        else if (RequestInput.IsForm(request.ContentType))
        {
            if (request.ContentLength > NodeHost.MaxBodyBytes) return ApiErrors.TooLarge();
            var form = await request.ReadFormAsync(http.RequestAborted);
            raw = RequestInput.RawReadingFrom(name => form[name]);
        }
        else
        {
            var body = await RequestInput.ReadJsonAsync(request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            if (body.Json!.Value.ValueKind != JsonValueKind.Object)
                return ApiErrors.BadRequest("body", "request body must be a JSON object with device_id, temperature, humidity");
            raw = RequestInput.RawReadingFrom(body.Json.Value);
        }

        var (reading, error) = ReadingValidator.Validate(raw, now);
        if (error is not null)
        {
            EdgeMetrics.Refused("http", "invalid");
            return ApiErrors.BadRequest(error.Field, error.Message);
        }
        if (auth.Check(request, [reading!], batch: false) is { } denied) return denied;
        if (DeviceLimited(http, limits, [reading!]) is { } limited) return limited;
        if (strong && NoMajorityReachable(system) is { } refused) return refused;

        var result = await Ingestion.IngestAsync(system, devices.ActorRef, [reading!], ingest, "http");
        if (strong && result is Accepted accepted && await ConfirmAsync(replicator.ActorRef, ingest, accepted) is { } unconfirmed)
            return unconfirmed;
        return result switch
        {
            Accepted { Outcomes: [var o] } => TypedResults.Ok(ReadingReply(o, strong ? "strong" : "eventual")),
            DeviceNotFound nf => ApiErrors.NotFound($"Device {nf.DeviceId} not found: register it with POST /api/devices", "device_id"),
            Unavailable u => ApiErrors.Unavailable(NotStored(u, "the reading")),
            _ => ApiErrors.Unavailable("journal unavailable"),
        };
    }

    private static async Task<IResult> PostBatch(HttpContext http, IRequiredActor<DeviceManagerActor> devices,
        IRequiredActor<ReplicatorActor> replicator, ActorSystem system, IngestSettings ingest, DeviceAuth auth, IngestLimits limits)
    {
        if (SenderLimited(http, limits) is { } busy) return busy;
        if (auth.Demand(http.Request) is { } unauthenticated) return unauthenticated;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!RequestInput.TryConsistency(http.Request, out var strong, out var consistencyError)) return consistencyError;
        var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
        if (body.Error is not null) return body.Error;
        var (readings, problem) = RequestInput.ReadBatch(body.Json!.Value, now);
        if (problem is not null)
        {
            EdgeMetrics.Refused("http", "invalid");
            return ApiErrors.BadRequest(problem.Field, problem.Message, problem.Index);
        }
        var count = readings!.Length;
        if (auth.Check(http.Request, readings, batch: true) is { } denied) return denied;
        if (DeviceLimited(http, limits, readings) is { } limited) return limited;

        if (strong && NoMajorityReachable(system) is { } refused) return refused;
        var result = await Ingestion.IngestAsync(system, devices.ActorRef, readings, ingest, "http");
        if (strong && result is Accepted accepted && await ConfirmAsync(replicator.ActorRef, ingest, accepted) is { } unconfirmed)
            return unconfirmed;
        return result switch
        {
            Accepted a => TypedResults.Ok(new BatchAccepted("success", strong ? "strong" : "eventual", count, a.Inserted, a.Duplicates,
                TimeText.FromUnixMs(now))),
            DeviceNotFound nf => Results.Json(new ApiError(
                    $"readings[{nf.Index}]: Device {nf.DeviceId} not found; nothing of this batch was stored",
                    $"readings[{nf.Index}].device_id", nf.Index), statusCode: StatusCodes.Status404NotFound),
            Unavailable u => ApiErrors.Unavailable(NotStored(u, "this batch")),
            _ => ApiErrors.Unavailable("journal unavailable"),
        };
    }

    /// <summary>A strong write is refused before anything is stored when no majority of all members is reachable.</summary>
    private static IResult? NoMajorityReachable(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        if (!Membership.SelfIsMember(cluster))
            return NoMajority($"{Membership.NotAMember}; nothing was stored", acknowledged: 0, Membership.Majority(Membership.Members(state)), Membership.Members(state));
        var members = Membership.Members(state);
        var reachable = Membership.Reachable(state);
        var required = Membership.Majority(members);
        if (reachable >= required) return null;
        return NoMajority($"only {reachable} of {members} members are reachable and {required} must hold a strong write; nothing was stored",
            acknowledged: 0, required, members);
    }

    /// <summary>Waits until a majority of all members holds the new readings durably; null when they do.</summary>
    private static async Task<IResult?> ConfirmAsync(IActorRef replicator, IngestSettings ingest, Accepted accepted)
    {
        var written = accepted.Outcomes.Where(o => !o.Duplicate && o.OriginSeq is not null).ToList();
        if (written.Count == 0) return null;
        var upTo = written.Max(o => o.OriginSeq!.Value);
        try
        {
            var answer = await replicator.Ask<object>(new ConfirmMajority(ingest.NodeName, upTo, StrongTimeout), StrongTimeout + TimeSpan.FromSeconds(2));
            return answer is MajorityNotConfirmed n
                ? NoMajority($"not confirmed: {n.Reason}. The reading is stored on this member and will reach the others; " +
                             "a retry with the same seq is answered as a duplicate", n.Acknowledged, n.Required, n.Members)
                : null;
        }
        catch (AskTimeoutException)
        {
            return ApiErrors.Unavailable("the replicator did not answer in time");
        }
    }

    private static readonly TimeSpan StrongTimeout = TimeSpan.FromSeconds(4);

    /// <summary>What a 503 of the write path says: nothing stored, or not confirmed when the journal write may still land.</summary>
    private static string NotStored(Unavailable u, string what) => u.MayBeStored
        ? $"journal unavailable: {u.Reason}; {what} is not confirmed and may still be stored: retry with the same seq (a stored one is answered as a duplicate)"
        : $"journal unavailable: {u.Reason}; nothing {(what == "this batch" ? "of this batch " : "")}was stored";

    private static IResult NoMajority(string message, int acknowledged, int required, int members) =>
        TypedResults.Json(new NoMajorityError(message, acknowledged, required, members), statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ReadingAccepted ReadingReply(Outcome o, string consistency) =>
        new("success", consistency, o.Duplicate, o.Reading.DeviceId, TimeText.FromUnixMs(o.Reading.DeviceTimeMs),
            TimeText.FromUnixMs(o.Reading.ReceivedAtMs), o.Reading.Temperature, o.Reading.Humidity, o.Reading.Seq, o.OriginNode, o.OriginSeq);
}
