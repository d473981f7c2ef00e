namespace EdgeCluster.Tests.Support;

/// <summary>
/// Tests that run several nodes (in this process or as processes) run one after another: on a
/// 2-core machine, clusters started side by side starve each other's failure detectors and timers.
/// </summary>
[CollectionDefinition(Name)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node";
}
