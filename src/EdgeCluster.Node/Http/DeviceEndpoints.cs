using EdgeCluster.Domain.Analytics;
using EdgeCluster.Contracts;
using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Devices.DeviceProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>The device registry: the lab's devices table, through the device actors.</summary>
public static class DeviceEndpoints
{
    public static void MapDeviceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/devices", Register);
        app.MapPost("/api/devices/{device_id}/token", RotateToken);
        app.MapGet("/api/devices", (HttpRequest request, ReadModelStore store, DeviceStatus health) =>
        {
            string? status = null;
            if (request.Query.ContainsKey("status")
                && !QueryArgs.TryChoice(request, "status", "", [DeviceHealth.Online, DeviceHealth.Late, DeviceHealth.Offline], out status, out var error))
                return error!;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var registered = store.Devices.List();
            var devices = registered.Zip(health.Of(registered, now), WithHealth).Where(d => status is null || d.Status == status).ToList();
            return TypedResults.Ok(new DeviceList(devices.Count, devices));
        });
        app.MapGet("/api/devices/{device_id}", (string device_id, ReadModelStore store, DeviceStatus status) =>
        {
            if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
            var device = store.Devices.Get(id);
            if (device is null) return ApiErrors.NotFound($"Device {id} not found", "device_id");
            var latest = store.Queries.Readings(id, 1, null, null).FirstOrDefault();
            var health = status.Of(device, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            return TypedResults.Ok(new DeviceDetail(device.DeviceId, device.Name, device.Type, device.Location,
                TimeText.FromUnixMs(device.RegisteredAtMs), latest, health.IntervalS, health.LastSeen, health.Status));
        });
    }

    /// <summary>
    /// Adds or changes a device. A device that gets its first token here (a new one, or one registered without) has it
    /// in the answer, once; a device that has one keeps it (rotate it with POST /api/devices/{id}/token).
    /// </summary>
    private static async Task<IResult> Register(HttpContext http, IRequiredActor<DeviceManagerActor> devices, DeviceAuth auth)
    {
        if (auth.GuardAdmin(http) is { } refused) return refused;
        var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
        if (body.Error is not null) return body.Error;
        var json = body.Json!.Value;
        if (json.ValueKind != JsonValueKind.Object)
            return ApiErrors.BadRequest("body", "request body must be a JSON object with device_id and name");
        var raw = new RawDevice(RequestInput.Field(json, "device_id"), RequestInput.Field(json, "name"),
            RequestInput.Field(json, "type"), RequestInput.Field(json, "location"), RequestInput.Field(json, "interval_s"));
        var (device, error) = DeviceValidator.Validate(raw, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (error is not null) return ApiErrors.BadRequest(error.Field, error.Message);
        var token = DeviceTokens.New();
        try
        {
            var registered = await devices.ActorRef.Ask<Registered>(new Register(device! with { TokenHash = DeviceTokens.Hash(token) }), TimeSpan.FromSeconds(10));
            var reply = DeviceReply(registered.Device) with { Token = DeviceTokens.Matches(token, registered.Device.TokenHash) ? token : null };
            return registered.Created
                ? TypedResults.Created($"/api/devices/{registered.Device.DeviceId}", reply)
                : TypedResults.Ok(reply);
        }
        catch (AskTimeoutException)
        {
            return ApiErrors.Unavailable("device registry did not answer in time");
        }
    }

    /// <summary>A new token for a registered device, answered once; the old one stops working as the registry change spreads.</summary>
    private static async Task<IResult> RotateToken(string device_id, HttpContext http, IRequiredActor<DeviceManagerActor> devices, DeviceAuth auth)
    {
        if (auth.GuardAdmin(http) is { } refused) return refused;
        if (!Routes.TryDeviceId(device_id, out var id, out var error)) return error;
        var token = DeviceTokens.New();
        try
        {
            return await devices.ActorRef.Ask<object>(new RotateToken(id, DeviceTokens.Hash(token)), TimeSpan.FromSeconds(10)) switch
            {
                Registered r => TypedResults.Ok(DeviceReply(r.Device) with { Token = token }),
                _ => ApiErrors.NotFound($"Device {id} not found: register it with POST /api/devices", "device_id"),
            };
        }
        catch (AskTimeoutException)
        {
            return ApiErrors.Unavailable("device registry did not answer in time");
        }
    }

    private static DeviceView DeviceReply(DeviceInfo d) =>
        new(d.DeviceId, d.Name, d.Type, d.Location, TimeText.FromUnixMs(d.RegisteredAtMs), d.IntervalS);

    private static DeviceView WithHealth(DeviceInfo d, DeviceHealthView health) =>
        DeviceReply(d) with { IntervalS = health.IntervalS, LastSeen = health.LastSeen, Status = health.Status };
}
