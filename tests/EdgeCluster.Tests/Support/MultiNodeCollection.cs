namespace EdgeCluster.Tests.Support;

/// <summary>
/// Tests that run clusters of node processes run one after another: on a 2-core machine, clusters started side by side
/// starve each other's failure detectors and timers. The in-process cluster specs have a lane of their own
/// (<see cref="InProcessClusterCollection"/>) beside this one. The crash tests (one node killed mid-write) run here
/// too: that lane, with the light clusters' and the single nodes' after it, was the longer of the two by ~35 s.
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

/// <summary>
/// Tests that run one node process at a time and no cluster (the uplink's errors, the command line on one member): a
/// lane of their own beside the clusters' lanes. One node is a light load next to a cluster, and nothing in these tests
/// hangs on a failure detector.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SingleNodeProcessCollection
{
    public const string Name = "single-node-process";
}

/// <summary>
/// Small clusters of node processes that neither cut links nor wait for a member to be downed (TLS between members,
/// device tokens, the MQTT door across members): a second clusters' lane beside
/// <see cref="MultiNodeCollection"/>, whose partition and downing tests are the ones a starved failure detector would
/// change. Without it the clusters' lane alone was most of the suite's time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LightClusterCollection
{
    public const string Name = "light-cluster";
}
