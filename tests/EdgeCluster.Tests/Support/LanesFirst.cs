using EdgeCluster.Tests.Support;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("EdgeCluster.Tests.Support.LanesFirst", "EdgeCluster.Tests")]

namespace EdgeCluster.Tests.Support;

/// <summary>
/// Starts the longest lane first: the clusters of node processes that cut links (<see cref="MultiNodeCollection"/>) are
/// most of the suite's time and run one test at a time, so every second they wait for a free slot is a second added to
/// the whole run. The other lanes follow, then the classes that run on their own.
/// </summary>
public sealed class LanesFirst : ITestCollectionOrderer
{
    private static readonly string[] Lanes =
        [MultiNodeCollection.Name, InProcessClusterCollection.Name, LightClusterCollection.Name, SingleNodeProcessCollection.Name];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => Array.IndexOf(Lanes, c.DisplayName) is var i and >= 0 ? i : Lanes.Length);
}
