namespace EdgeCluster.Tests.Support;

/// <summary>
/// N real node processes on loopback, each with its own data folder. The first forms the cluster on ports the OS chose;
/// the others join it on theirs. A killed member restarts at the ports it had, with its files, seeded with every other.
/// </summary>
public sealed class ProcessCluster : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _prefix;
    private readonly string[] _args;
    private readonly Func<int, string[]> _nodeArgs = _ => [];
    private readonly int[] _http;
    private readonly int[] _akka;
    private readonly NodeProcess?[] _nodes;

    private ProcessCluster(int size, string prefix, string[] args, Func<int, string[]> nodeArgs)
    {
        _prefix = prefix;
        _args = args;
        _nodeArgs = nodeArgs;
        _http = new int[size];
        _akka = new int[size];
        _nodes = new NodeProcess?[size];
    }

    /// <summary>Each member's HTTP port, as it bound it at its first start.</summary>
    public IReadOnlyList<int> HttpPorts => _http;

    public NodeProcess this[int index] => _nodes[index] ?? throw new InvalidOperationException($"member {index} is not running");

    public IEnumerable<NodeProcess> Running => _nodes.Where(n => n is not null).Cast<NodeProcess>();

    public string File(string name) => _dir.File(name);

    /// <summary>Starts every member, named PREFIX0.., and waits until the first sees them all Up and each sees itself Up.</summary>
    public static Task<ProcessCluster> StartAsync(int size, string prefix, params string[] args) => StartAsync(size, prefix, _ => [], args);

    /// <summary>As above, with switches of each member's own (<paramref name="nodeArgs"/> of its index), such as its MQTT port.</summary>
    public static async Task<ProcessCluster> StartAsync(int size, string prefix, Func<int, string[]> nodeArgs, params string[] args)
    {
        var cluster = new ProcessCluster(size, prefix, args, nodeArgs);
        try
        {
            for (var i = 0; i < size; i++) await cluster.StartAsync(i);
            await cluster.WaitForUpAsync(cluster[0], size);
            // Each member also sees itself Up (its own view of the gossip can lag the first member's).
            foreach (var node in cluster.Running)
                await Eventually.AssertAsync(async () =>
                    Assert.Equal("Up", (await (await node.Http.GetAsync("/api/health")).ReadJsonAsync()).GetProperty("member").GetString()),
                    TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private async Task StartAsync(int index)
    {
        // Every other member that has bound its Akka port so far; the first member, with none, forms the cluster.
        var seeds = _akka.Where((port, i) => i != index && port != 0).Select(p => $"127.0.0.1:{p}").ToList();
        string[] args = seeds.Count == 0 ? [.. _args, .. _nodeArgs(index)] : ["--seeds", string.Join(",", seeds), .. _args, .. _nodeArgs(index)];
        var node = await NodeProcess.StartAsync(Path.Combine(_dir.Path, $"{_prefix}{index}"), $"{_prefix}{index}", _http[index], _akka[index], args);
        _http[index] = node.HttpPort;
        _akka[index] = node.AkkaPort;
        _nodes[index] = node;
    }

    /// <summary>SIGKILL: the member is gone at once; its files stay for a restart.</summary>
    public void Kill(int index)
    {
        this[index].Dispose();
        _nodes[index] = null;
    }

    /// <summary>Starts a killed member again, same name, same ports, same files.</summary>
    public Task RestartAsync(int index) =>
        _nodes[index] is null ? StartAsync(index) : throw new InvalidOperationException($"member {index} is running");

    public Task WaitForUpAsync(NodeProcess node, int members) =>
        Eventually.AssertAsync(async () =>
        {
            var view = await (await node.Http.GetAsync("/api/cluster")).ReadJsonAsync();
            Assert.Equal(members, view.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "Up"));
        }, TimeSpan.FromSeconds(60));

    /// <summary>The end of every running member's log, for a failed check's message.</summary>
    public string LogTails(int chars = 4000) =>
        string.Join("\n", Running.Select(n => $"--- {n.Name} ---\n" + (n.Log.Length > chars ? n.Log[^chars..] : n.Log)));

    public void Dispose()
    {
        foreach (var node in Running) node.Dispose();
        _dir.Dispose();
    }
}
