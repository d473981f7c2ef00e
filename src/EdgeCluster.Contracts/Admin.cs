namespace EdgeCluster.Contracts;

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

/// <summary>Body of isolate, leave and down: a member by node name, address or host:port.</summary>
public sealed record MemberRequest(string? Member);

/// <summary>Body of split: two or more groups of members.</summary>
public sealed record SplitRequest(IReadOnlyList<IReadOnlyList<string>> Groups);

/// <summary>Body of join: a member's remoting address.</summary>
public sealed record JoinRequest(string Address);

/// <summary>202 of leave: which member is leaving.</summary>
public sealed record LeaveAccepted(string Leaving, string Address);

/// <summary>202 of down and down-unreachable: the members marked down.</summary>
public sealed record DownAccepted(IReadOnlyList<string> Downed);

/// <summary>202 of join: the address this member is joining.</summary>
public sealed record JoinAccepted(string Joining);

/// <summary>One log line of GET /api/admin/logs; <see cref="Seq"/> counts lines since the process started.</summary>
public sealed record LogLine(long Seq, DateTimeOffset At, string Level, string Category, string Text);

/// <summary>GET /api/admin/logs: lines, and the cursor to ask for the next ones (<c>?after=next</c>).</summary>
public sealed record LogsView(IReadOnlyList<LogLine> Lines, long Next);
