using EdgeCluster.Contracts;
using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Partition;
using static EdgeCluster.Actors.Partition.PartitionProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>This member's own links: what it has cut, and changes applied through its partition controller.</summary>
public sealed class LocalLinks(NodeRuntime runtime, NodeSettings settings, MemberDirectory directory,
    IRequiredActor<PartitionControllerActor> controller)
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    public LinksView View(IReadOnlyList<string>? errors) =>
        new(settings.NodeName, directory.Cluster.SelfAddress.ToString(), runtime.Incarnation,
            runtime.Partitions.Cuts.Select(Describe).ToList(), errors is { Count: > 0 } ? errors : null);

    public static LinkView Describe(CutLink c) => new(c.Peer.ToString(), c.NodeName, c.Since, c.Reason);

    /// <summary>Heal all, then heal the named, then cut; addresses are checked by the caller. Returns the controller's errors.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(LinksChange change)
    {
        var errors = new List<string>();
        // The table outlives the actor system: forgotten there first, a heal holds even if the controller cannot
        // answer (this member is restarting its actor system), and the next one starts with the links open.
        var heal = (change.HealAll ? runtime.Partitions.Cuts.Select(c => c.Peer) : []).Concat((change.Heal ?? []).Select(Parse)).Distinct().ToList();
        foreach (var peer in heal) runtime.Partitions.Remove(peer);
        if (heal.Count > 0) errors.AddRange(await AskAsync(new HealLinks(heal)));
        var cut = (change.Cut ?? []).Select(t => new CutLink(Parse(t.Address), t.NodeName, t.HttpUrl, DateTimeOffset.UtcNow, change.Reason ?? "cut by hand")).ToList();
        if (cut.Count > 0) errors.AddRange(await AskAsync(new CutLinks(cut)));
        return errors;

        static Address Parse(string text) => AdminEndpoints.TryAddress(text, out var a) ? a : throw new ArgumentException($"'{text}' is not an address");
    }

    private async Task<IReadOnlyList<string>> AskAsync(object change) =>
        (await controller.ActorRef.Ask<LinksChanged>(change, AskTimeout)).Errors;
}
