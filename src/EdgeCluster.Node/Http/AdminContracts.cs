namespace EdgeCluster.Node.Http;

/// <summary>A link this member has cut: to whom, since when, and by which command.</summary>
public sealed record LinkView(string Peer, string? NodeName, DateTimeOffset Since, string Reason);

/// <summary>One member's cut links (GET /api/admin/links).</summary>
public sealed record LinksView(string Node, string Address, int Incarnation, IReadOnlyList<LinkView> Links, IReadOnlyList<string>? Errors = null);

/// <summary>A peer to cut, with what the cutting member knows of it (kept for healing after it stopped being a member).</summary>
public sealed record LinkTarget(string Address, string? NodeName, string? HttpUrl);

/// <summary>A change to one member's links (POST /api/admin/links): heal all, heal the named, then cut.</summary>
public sealed record LinksChange(IReadOnlyList<LinkTarget>? Cut, IReadOnlyList<string>? Heal, bool HealAll, string? Reason);

/// <summary>How one member took a fanned-out change.</summary>
public sealed record MemberOutcome(string Node, string Address, bool Ok, IReadOnlyList<string> Cut, string? Error);

/// <summary>A change fanned out to members: each member's outcome, and an error when any failed.</summary>
public sealed record FanOutResult(string Action, IReadOnlyList<MemberOutcome> Members, string? Error);

/// <summary>One row of GET /api/admin/partition: a member's links, or why they could not be read.</summary>
public sealed record MemberLinks(string Member, string Address, LinksView? State, string? Error);

/// <summary>GET /api/admin/partition: every member's cut links.</summary>
public sealed record PartitionView(IReadOnlyList<MemberLinks> Members, bool Partitioned);

/// <summary>What another member answered to a forwarded request, or why it did not.</summary>
public sealed record Forwarded(int Status, string? Body, string? Error);
