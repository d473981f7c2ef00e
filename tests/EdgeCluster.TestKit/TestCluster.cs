using EdgeCluster.Node;
using Akka.Cluster;

namespace EdgeCluster.TestKit;

/// <summary>
/// N EdgeCluster nodes in one test process, joined into one cluster over real remoting on
/// 127.0.0.1, each with its own SQLite files. Nodes can be stopped, restarted on their data and
/// added later, so specs can show what a lab sees.
/// <code>
/// await using var cluster = await TestCluster.StartAsync(3);
/// await cluster[0].PostReadingAsync(1, 21.5, 40);
/// await Eventually.AssertAsync(async () => Assert.Single(await cluster[2].ReadingsAsync(1)));
/// </code>
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<TestNode?> _nodes = new();
    private readonly bool _autoRegister;
    private readonly int _replicationIntervalMs;
    private readonly string _profile;
    private readonly Func<int, NodeSettings, NodeSettings>? _configure;

    private TestCluster(bool autoRegister, int replicationIntervalMs, string profile, Func<int, NodeSettings, NodeSettings>? configure)
    {
        _autoRegister = autoRegister;
        _replicationIntervalMs = replicationIntervalMs;
        _profile = profile;
        _configure = configure;
    }

    public TestNode this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} is stopped");

    public IReadOnlyList<TestNode> Running => _nodes.Where(n => n is not null).Cast<TestNode>().ToList();

    /// <summary>
    /// Starts <paramref name="size"/> nodes named node-0.. and waits until every one sees all of them Up.
    /// Members pull from each other every <paramref name="replicationIntervalMs"/>; <paramref name="profile"/> names a
    /// folder of cluster-config/profiles (default, ap, cp); <paramref name="configure"/> changes node i's settings
    /// (roles, inference settings, ...), also for nodes added or restarted later.
    /// </summary>
    public static async Task<TestCluster> StartAsync(int size, bool autoRegister = true, int replicationIntervalMs = 200,
        string profile = "default", Func<int, NodeSettings, NodeSettings>? configure = null)
    {
        var cluster = new TestCluster(autoRegister, replicationIntervalMs, profile, configure);
        for (var i = 0; i < size; i++) await cluster.AddNodeAsync();
        await cluster.WaitForMembersAsync(size);
        return cluster;
    }

    public string DataDir(int index) => Path.Combine(_dir.Path, $"node-{index}");

    /// <summary>Starts one more node, joining through the nodes already running.</summary>
    public async Task<TestNode> AddNodeAsync()
    {
        var index = _nodes.Count;
        _nodes.Add(null);
        return await StartNodeAsync(index, akkaPort: 0);
    }

    /// <summary>Stops node <paramref name="index"/>: it leaves the cluster; its files stay.</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = this[index];
        _nodes[index] = null;
        await node.StopAsync();
    }

    /// <summary>Starts node <paramref name="index"/> again on its files, under its name.</summary>
    public Task<TestNode> RestartNodeAsync(int index) =>
        _nodes[index] is null ? StartNodeAsync(index, akkaPort: 0) : throw new InvalidOperationException($"node {index} is running");

    private async Task<TestNode> StartNodeAsync(int index, int akkaPort)
    {
        var seeds = Running.Select(n => n.AkkaEndpoint).ToList();
        var node = await TestNode.StartAsync(DataDir(index), $"node-{index}", _autoRegister, seeds, akkaPort, _replicationIntervalMs, _profile,
            configure: _configure is null ? null : settings => _configure(index, settings));
        _nodes[index] = node;
        return node;
    }

    /// <summary>Waits until every running node sees <paramref name="count"/> members Up.</summary>
    public Task WaitForMembersAsync(int count, TimeSpan? within = null) =>
        Eventually.AssertAsync(() =>
        {
            foreach (var node in Running)
            {
                var up = node.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up);
                if (up != count) throw new InvalidOperationException($"{node.Name} sees {up} members up, not {count}");
            }
            return Task.CompletedTask;
        }, within ?? TimeSpan.FromSeconds(30));

    /// <summary>Waits until every running node sees <paramref name="count"/> of the others unreachable.</summary>
    public Task WaitForUnreachableAsync(TestNode node, int count, TimeSpan? within = null) =>
        Eventually.AssertAsync(() =>
        {
            var unreachable = node.Cluster.State.Unreachable.Count;
            if (unreachable != count) throw new InvalidOperationException($"{node.Name} sees {unreachable} members unreachable, not {count}");
            return Task.CompletedTask;
        }, within ?? TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Running.Reverse()) await node.StopAsync();
        _dir.Dispose();
    }
}
