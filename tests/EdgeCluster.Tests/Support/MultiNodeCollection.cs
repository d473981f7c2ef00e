namespace EdgeCluster.Tests.Support;

/// <summary>
/// Tests that run clusters of node processes run one after another: on a 2-core machine, clusters started side by side
/// starve each other's failure detectors and timers. The in-process cluster specs have a lane of their own
/// (<see cref="InProcessClusterCollection"/>) beside this one.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node";
}

/// <summary>
/// The specs that run several whole nodes in this process (Cluster/*Specs) run one after another, and beside the node
/// processes' lane: one in-process cluster and one cluster of processes at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class InProcessClusterCollection
{
    public const string Name = "in-process-cluster";
}
