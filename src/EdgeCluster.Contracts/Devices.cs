namespace EdgeCluster.Contracts;

/// <summary>
/// A registry entry with its health on this member: <c>last_seen</c> (latest received_at of its readings here),
/// <c>interval_s</c> (as registered, or learned from its recent readings) and <c>status</c> (online, late, offline).
/// </summary>
public sealed record DeviceView(int DeviceId, string Name, string Type, string? Location, string RegisteredAt,
    int? IntervalS = null, string? LastSeen = null, string? Status = null)
{
    /// <summary>The device's token, in the answer that created it (registration, rotation) and never again: only its hash is kept.</summary>
    public string? Token { get; init; }
}

/// <summary>GET /api/devices/{device_id}: the entry, its health and its latest reading.</summary>
public sealed record DeviceDetail(int DeviceId, string Name, string Type, string? Location, string RegisteredAt, ReadingView? Latest,
    int? IntervalS = null, string? LastSeen = null, string? Status = null);

/// <summary>GET /api/devices.</summary>
public sealed record DeviceList(int Count, IReadOnlyList<DeviceView> Devices);
