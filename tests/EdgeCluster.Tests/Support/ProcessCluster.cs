namespace EdgeCluster.Tests.Support;

/// <summary>
/// N real node processes on loopback, every one seeded with all of them, each with its own data
/// folder and fixed ports so that a killed member restarts at the same address with its files.
/// </summary>
public sealed class ProcessCluster : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _prefix;
    private readonly string[] _args;
    private readonly int[] _akka;
    private readonly NodeProcess?[] _nodes;

    private ProcessCluster(int size, string prefix, string[] args)
    {
        _prefix = prefix;
        HttpPorts = Enumerable.Range(0, size).Select(_ => NodeProcess.FreePort()).ToArray();
        _akka = Enumerable.Range(0, size).Select(_ => NodeProcess.FreePort()).ToArray();
        _args = ["--seeds", string.Join(",", _akka.Select(p => $"127.0.0.1:{p}")), .. args];
        _nodes = new NodeProcess?[size];
    }

    public IReadOnlyList<int> HttpPorts { get; }

    public NodeProcess this[int index] => _nodes[index] ?? throw new InvalidOperationException($"member {index} is not running");

    public IEnumerable<NodeProcess> Running => _nodes.Where(n => n is not null).Cast<NodeProcess>();

    public string File(string name) => _dir.File(name);

    /// <summary>Starts every member, named PREFIX0.., and waits until the first sees them all Up.</summary>
    public static async Task<ProcessCluster> StartAsync(int size, string prefix, params string[] args)
    {
        var cluster = new ProcessCluster(size, prefix, args);
        try
        {
            for (var i = 0; i < size; i++) await cluster.StartAsync(i);
            await cluster.WaitForUpAsync(cluster[0], size);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private async Task StartAsync(int index) =>
        _nodes[index] = await NodeProcess.StartAsync(Path.Combine(_dir.Path, $"{_prefix}{index}"), $"{_prefix}{index}",
            HttpPorts[index], _akka[index], _args);

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

    public void Dispose()
    {
        foreach (var node in Running) node.Dispose();
        _dir.Dispose();
    }
}
