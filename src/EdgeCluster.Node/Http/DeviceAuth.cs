using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

/// <summary>
/// Who may post a device's readings. With <c>--device-auth off</c> (the classroom default) anyone on the network, as in
/// the lab. With <c>tokens</c>: only a holder of the device's own token, over HTTP (<c>Authorization: Bearer</c>, or
/// <c>token=</c> in the lab's Arduino query string) and MQTT (username the device's id or name, password its token);
/// registering devices, rotating tokens and the dashboard's writes then need the admin token. Tokens are checked against
/// the hash this member's copy of the registry holds, in constant time.
/// </summary>
public sealed class DeviceAuth(NodeSettings settings, ProfileSettings profile, ReadModelStore store)
{
    public const string QueryParameter = "token";

    /// <summary>Whether a setting's text is a mode the node knows: off or tokens.</summary>
    public static bool IsMode(string text) => text is "off" or "tokens";

    // Compared against when the username names no device, so that a wrong name takes as long as a wrong password.
    private static readonly string NoDevice = new('0', 64);

    public string Mode { get; } = settings.DeviceAuth ?? profile.DeviceAuth;

    public bool TokensRequired => Mode == "tokens";

    /// <summary>The token a request carries: its bearer token, or the lab's query string's <c>token=</c>.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim() is { Length: > 0 } t ? t : null;
        return request.Query[QueryParameter].ToString() is { Length: > 0 } q ? q : null;
    }

    /// <summary>401 before anything is read when tokens are required and the request has none; null otherwise.</summary>
    public IResult? Demand(HttpRequest request) =>
        TokensRequired && TokenOf(request) is null
            ? Unauthorized("readings need their device's token: Authorization: Bearer <token> (or token=<token> in the query string)")
            : null;

    /// <summary>
    /// null when the request's token may post every one of the readings; 401 (field Authorization) for a token of no
    /// device, 403 (field device_id, or readings[i].device_id in a batch) for a reading of another device than the token's.
    /// </summary>
    public IResult? Check(HttpRequest request, IReadOnlyList<Reading> readings, bool batch)
    {
        if (!TokensRequired) return null;
        var token = TokenOf(request);
        if (token is null) return Demand(request);
        var owner = Owner(token, readings[0].DeviceId);
        if (owner is null) return Unauthorized("the token is not a registered device's token (rotated, or mistyped)");
        for (var i = 0; i < readings.Count; i++)
        {
            if (readings[i].DeviceId == owner.DeviceId) continue;
            var message = $"the token is device {owner.DeviceId}'s; it may post only device {owner.DeviceId}'s readings, not device {readings[i].DeviceId}'s";
            return Results.Json(batch ? new ApiError(message, $"readings[{i}].device_id", i) : new ApiError(message, "device_id"),
                statusCode: StatusCodes.Status403Forbidden);
        }
        return null;
    }

    /// <summary>
    /// The device <paramref name="token"/> belongs to: the claimed device when its hash matches (constant time),
    /// otherwise whichever device has that token, or null for none.
    /// </summary>
    public DeviceInfo? Owner(string token, int claimedDevice)
    {
        var claimed = store.Devices.Get(claimedDevice);
        if (claimed is not null && DeviceTokens.Matches(token, claimed.TokenHash)) return claimed;
        return store.Devices.FindByTokenHash(DeviceTokens.Hash(token));
    }

    /// <summary>The registered device named by an MQTT username (its numeric id or its name) whose token is the password, or null.</summary>
    public DeviceInfo? Login(string? username, string? password)
    {
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password)) return null;
        var device = int.TryParse(username, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? store.Devices.Get(id)
            : store.Devices.FindByName(username);
        var matches = DeviceTokens.Matches(password, device?.TokenHash ?? NoDevice);
        return matches && device is not null ? device : null;
    }

    /// <summary>With tokens required, the admin API's guard (admin token, or loopback without one) for device registration and the dashboard's writes.</summary>
    public IResult? GuardAdmin(HttpContext http) => TokensRequired ? AdminEndpoints.Guard(http) : null;

    private static IResult Unauthorized(string message) =>
        Results.Json(new ApiError(message, "Authorization"), statusCode: StatusCodes.Status401Unauthorized);
}
