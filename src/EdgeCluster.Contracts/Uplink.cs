namespace EdgeCluster.Contracts;

/// <summary>
/// GET /api/uplink: this member's uplink to the cloud PostgreSQL. <c>State</c> is <c>off</c> (no --uplink),
/// <c>connecting</c>, <c>up</c> or <c>down</c> (with <c>DownSince</c> and <c>LastError</c>).
/// </summary>
public sealed record UplinkView(
    bool Enabled,
    string State,
    string? Target,
    DateTimeOffset? DownSince,
    string? LastError,
    DateTimeOffset? LastUploadAt,
    long UploadedHere,
    double ReadingsPerSecond,
    int RateCap,
    long Backlog,
    double? BacklogAgeS,
    IReadOnlyList<UplinkOriginView> Origins);

/// <summary>
/// One origin's stream as the cloud and this member know it: <c>Cloud</c> readings acknowledged by the cloud (its cursor,
/// as last read), <c>Local</c> readings this member holds, and whether this member is the one uploading it now.
/// </summary>
public sealed record UplinkOriginView(string Origin, long Cloud, long Local, long Backlog, bool UploadedHere);
