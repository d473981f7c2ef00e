using System.Diagnostics;
using Npgsql;

namespace EdgeCluster.Tests.Support;

/// <summary>
/// A real PostgreSQL server (Debian's postgresql package) in a temp folder on a free port, as the cloud the uplink writes
/// to: password authentication over TCP, a role <c>edge</c> and a database <c>cloud</c>. It can be stopped and started
/// again at the same port, as a cloud that goes away and returns. As root, the server runs as the <c>postgres</c> user
/// (PostgreSQL refuses to run as root).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "edge";
    public const string Password = "cloud-secret";
    public const string Database = "cloud";

    private readonly TempDir _dir = new();
    private readonly string _bin;
    private bool _running;

    private PostgresServer(string bin, int port)
    {
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    private string Data => _dir.File("data");
    private string Sockets => _dir.File("sockets");

    /// <summary>The --uplink URL of the database.</summary>
    public string Url => $"postgres://{User}:{Password}@127.0.0.1:{Port}/{Database}";

    /// <summary>A connection string for the test's own queries (as the server's superuser, over the socket folder).</summary>
    public string AdminConnectionString => $"Host={Sockets};Port={Port};Username=postgres;Database={Database};Pooling=false";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin"))
                .Where(b => File.Exists(Path.Combine(b, "pg_ctl"))).OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does)");
        var server = new PostgresServer(bin, Support.FreePort.Next());
        try
        {
            Directory.CreateDirectory(server.Sockets);
            if (Environment.UserName == "root") await server.RunAsync("/bin/chown", "-R", "postgres:postgres", server._dir.Path);
            await server.RunAsync(server.Tool("initdb"), "-D", server.Data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--no-sync", "--no-instructions", "-E", "UTF8");
            await server.StartAgainAsync();
            await using var connection = new NpgsqlConnection($"Host={server.Sockets};Port={server.Port};Username=postgres;Database=postgres;Pooling=false");
            await connection.OpenAsync();
            foreach (var sql in new[] { $"CREATE ROLE {User} LOGIN PASSWORD '{Password}'", $"CREATE DATABASE {Database} OWNER {User}" })
            {
                await using var cmd = new NpgsqlCommand(sql, connection);
                await cmd.ExecuteNonQueryAsync();
            }
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) at its port; returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        await RunAsync(Tool("pg_ctl"), "-D", Data, "-l", _dir.File("server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {Sockets} -c listen_addresses=127.0.0.1", "start");
        _running = true;
    }

    /// <summary>Stops the server at once (immediate: connections are cut mid-transaction, as a crashed or unplugged cloud).</summary>
    public async Task StopAsync()
    {
        await RunAsync(Tool("pg_ctl"), "-D", Data, "-w", "-m", "immediate", "stop");
        _running = false;
    }

    public string ServerLog => File.Exists(_dir.File("server.log")) ? File.ReadAllText(_dir.File("server.log")) : "";

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Every row of a query, each as its columns' values.</summary>
    public async Task<List<object?[]>> RowsAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    private string Tool(string name) => Path.Combine(_bin, name);

    private async Task RunAsync(string file, params string[] args)
    {
        var asRoot = Environment.UserName == "root" && file != "/bin/chown";
        var info = new ProcessStartInfo(asRoot ? "runuser" : file);
        if (asRoot)
            foreach (var a in new[] { "-u", "postgres", "--", file }) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        var ended = await ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(90));
        if (ended.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed: {ended}\nserver log:\n{ServerLog}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_running)
        {
            try { await StopAsync(); }
            catch (Exception) { /* the folder goes anyway */ }
        }
        _dir.Dispose();
    }
}
