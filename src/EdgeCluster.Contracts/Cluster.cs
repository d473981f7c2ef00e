namespace EdgeCluster.Contracts;

/// <summary>A member as /api/cluster shows it; an unreachable one with the time this member noticed.</summary>
public sealed record MemberView(string Address, string? NodeName, string? HttpUrl, string Status, IReadOnlyList<string> Roles, bool Reachable,
    DateTimeOffset? UnreachableSince = null);

/// <summary>How far this member holds an origin's readings, and how far behind the furthest copy it knows of.</summary>
public sealed record OriginProgress(long Highest, long Lag);

/// <summary>GET /api/cluster: the membership as this member sees it, its version vector, and the links it has cut.</summary>
public sealed record ClusterView(MemberView Self, string? Leader, string? Oldest, IReadOnlyList<MemberView> Members,
    IReadOnlyList<string> Unreachable, IReadOnlyDictionary<string, OriginProgress> VersionVector, long ReadingsPulled,
    IReadOnlyList<LinkView> Cuts);

/// <summary>GET /api/health.</summary>
public sealed record HealthView(string Status, string Node, string Address, string Member);

/// <summary>One health check of GET /healthz or /readyz: healthy, degraded or unhealthy, and what it saw.</summary>
public sealed record HealthCheckView(string Name, string Status, string? Description);

/// <summary>GET /healthz (the process lives) and GET /readyz (journal recovered, read model caught up, member Up).</summary>
public sealed record HealthReportView(string Status, IReadOnlyList<HealthCheckView> Checks);
