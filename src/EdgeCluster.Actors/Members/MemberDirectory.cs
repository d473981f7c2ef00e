using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Actors.Partition;

namespace EdgeCluster.Actors;

/// <summary>A member as every part of the node names it: node name, address, HTTP API, status, reachability, roles.</summary>
public sealed record MemberEntry(Address Address, string? NodeName, string? HttpUrl, string Status, bool Reachable,
    IReadOnlyList<string> Roles, bool Self)
{
    public string Label => NodeName ?? Address.ToString();
}

/// <summary>
/// A member's node name and HTTP URL travel in its cluster roles (<c>edge-node-n1</c>, <c>edge-http-http%3A%2F%2F…</c>),
/// so every member knows them from the join itself, whatever the replication interval. Values are percent-encoded:
/// roles pass through HOCON unquoted.
/// </summary>
public static class MemberRoles
{
    private const string NodePrefix = "edge-node-";
    private const string HttpPrefix = "edge-http-";

    public static IEnumerable<string> For(string nodeName, string? httpUrl) =>
        string.IsNullOrEmpty(httpUrl)
            ? [NodePrefix + Uri.EscapeDataString(nodeName)]
            : [NodePrefix + Uri.EscapeDataString(nodeName), HttpPrefix + Uri.EscapeDataString(httpUrl)];

    public static string? NodeName(Member member) => Find(member, NodePrefix);

    public static string? HttpUrl(Member member) => Find(member, HttpPrefix);

    /// <summary>The roles a user gave the node (edge, coordinator, inference), without the directory's own.</summary>
    public static IReadOnlyList<string> Public(Member member) =>
        member.Roles.Where(r => !r.StartsWith(NodePrefix, StringComparison.Ordinal) && !r.StartsWith(HttpPrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();

    private static string? Find(Member member, string prefix) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(prefix, StringComparison.Ordinal)) is { } role
            ? Uri.UnescapeDataString(role[prefix.Length..])
            : null;
}

/// <summary>
/// The one list of members that the management API, <c>/api/cluster</c> and the partition fan-out read: the cluster's
/// members as this node sees them, plus the peers this node has cut that are no longer members (a downed minority
/// still has to be healed).
/// </summary>
public sealed class MemberDirectory(ActorSystem system, PartitionTable partitions, string selfNodeName, Func<string?> selfHttpUrl)
{
    public Cluster Cluster => Cluster.Get(system);

    public IReadOnlyList<MemberEntry> Members()
    {
        var cluster = Cluster;
        var state = cluster.State;
        var self = PartitionTable.Naked(cluster.SelfAddress);
        var entries = new Dictionary<Address, MemberEntry>
        {
            // This node is listed even while it is not a member (starting, or downed and rejoining).
            [self] = new(self, selfNodeName, selfHttpUrl(), cluster.SelfMember.Status.ToString(), true, MemberRoles.Public(cluster.SelfMember), true),
        };
        foreach (var m in state.Members)
        {
            var naked = PartitionTable.Naked(m.Address);
            entries[naked] = new MemberEntry(naked, MemberRoles.NodeName(m), MemberRoles.HttpUrl(m), m.Status.ToString(),
                !state.Unreachable.Contains(m), MemberRoles.Public(m), naked == self);
        }
        foreach (var cut in partitions.Cuts)
            entries.TryAdd(cut.Peer, new MemberEntry(cut.Peer, cut.NodeName, cut.HttpUrl, "Removed", false, [], false));
        return entries.Values.OrderBy(e => e.Label, StringComparer.Ordinal).ToList();
    }

    /// <summary>The member's address as the cluster knows it now (with its protocol), or null when it is not a member.</summary>
    public Address? CurrentAddress(MemberEntry entry) =>
        Cluster.State.Members.Select(m => m.Address).FirstOrDefault(a => a.Host == entry.Address.Host && a.Port == entry.Address.Port);

    /// <summary>By node name, full address or host:port.</summary>
    public static MemberEntry? Resolve(IReadOnlyList<MemberEntry> members, string name, Func<string, Address?> parseAddress)
    {
        var byName = members.FirstOrDefault(p => string.Equals(p.NodeName, name, StringComparison.OrdinalIgnoreCase));
        if (byName is not null) return byName;
        return parseAddress(name) is { } address
            ? members.FirstOrDefault(p => p.Address.Host == address.Host && p.Address.Port == address.Port)
            : null;
    }
}

/// <summary>This node's name and where its HTTP API answers (known before the actor system starts where the socket is bound first).</summary>
public sealed class SelfInfo(string nodeName)
{
    public string NodeName { get; } = nodeName;
    public string HttpUrl { get; set; } = "";
}

/// <summary>Since when each member this node sees as unreachable has been so (as this node noticed it).</summary>
public sealed class ReachabilityLog
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Address, DateTimeOffset> _since = new();

    public void Unreachable(Address member, DateTimeOffset at) => _since.TryAdd(PartitionTable.Naked(member), at);

    public void Reachable(Address member) => _since.TryRemove(PartitionTable.Naked(member), out _);

    public DateTimeOffset? Since(Address member) => _since.TryGetValue(PartitionTable.Naked(member), out var at) ? at : null;
}
