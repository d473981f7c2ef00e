using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Http;

/// <summary>/healthz, /readyz and /metrics on a real node over loopback, as a service manager and Prometheus use them.</summary>
public sealed class ObservabilityTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;

    public async Task InitializeAsync() => _node = await TestNode.StartAsync(_dir.Path, autoRegister: true);

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_started_node_is_live_and_ready_and_each_check_says_what_it_saw()
    {
        var live = await _node.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("healthy", (await live.ReadJsonAsync()).GetProperty("status").GetString());

        await Eventually.AssertAsync(async () =>
        {
            var ready = await _node.Http.GetAsync("/readyz");
            var body = await ready.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            var checks = body.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
            Assert.Equal("healthy", checks["journal"]);
            Assert.Equal("healthy", checks["read-model"]);
            Assert.Equal("healthy", checks["akka.cluster.join"]);
        });
    }

    [Fact]
    public async Task A_node_that_cannot_reach_its_seeds_is_live_but_not_ready()
    {
        using var dir = new TempDir();
        await using var alone = await TestNode.StartAsync(dir.Path, "lonely", seeds: ["127.0.0.1:1"]);
        Assert.Equal(HttpStatusCode.OK, (await alone.Http.GetAsync("/healthz")).StatusCode);
        var ready = await alone.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var checks = (await ready.ReadJsonAsync()).GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("unhealthy", checks["akka.cluster.join"]);
        Assert.Equal("healthy", checks["journal"]);
    }

    [Fact]
    public async Task Metrics_count_readings_by_door_and_outcome_beside_the_server_and_runtime_metrics()
    {
        for (var seq = 1; seq <= 3; seq++) await _node.PostReadingAsync(7, 21.5, 40, seq);
        await _node.PostReadingAsync(7, 21.5, 40, 3); // a retry: duplicate
        var bad = await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 7, temperature = "warm", humidity = 40 });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var response = await _node.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        // The meter is the process's: other nodes of this test process may have counted too, so at least.
        Assert.True(Value(text, "edge_readings_accepted_total", "door=\"http\"", "outcome=\"stored\"") >= 3, text);
        Assert.True(Value(text, "edge_readings_accepted_total", "door=\"http\"", "outcome=\"duplicate\"") >= 1);
        Assert.True(Value(text, "edge_readings_rejected_total", "door=\"http\"", "reason=\"invalid\"") >= 1);
        Assert.True(Value(text, "edge_journal_group_size_count") >= 3);
        Assert.True(Value(text, "edge_journal_write_duration_seconds_bucket", "le=\"+Inf\"") >= 3);
        Assert.True(Value(text, "edge_cluster_members", "status=\"Up\"") >= 1);
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        // This lone member hosts the inference coordinator: its queues are reported, by priority.
        await Eventually.AssertAsync(async () =>
        {
            var scrape = await _node.Http.GetStringAsync("/metrics");
            foreach (var priority in new[] { "high", "medium", "low" })
                Assert.Contains($"edge_inference_queue{{otel_scope_name=\"EdgeCluster\",priority=\"{priority}\"}} ", scrape);
            Assert.Contains("state=\"completed\"", scrape);
        });
        Assert.Contains("# TYPE dotnet_gc_collections_total counter", text);
    }

    [Fact]
    public async Task Every_metric_the_shipped_grafana_dashboard_plots_is_one_the_node_exports()
    {
        await _node.PostReadingAsync(8, 20, 40, 1);
        var text = await _node.Http.GetStringAsync("/metrics");
        var exported = Regex.Matches(text, @"^# TYPE (\S+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
        // Gauges with nothing to report yet (replication lag on a lone node; the coordinator's, before its first tick or
        // while another node of this test process stops its own) and counters not yet counted are not in every scrape;
        // the node's own instruments are known by name.
        exported.UnionWith(new[] { "edge_replication_lag", "edge_retention_expired_total", "edge_replication_pulled_total", "edge_readings_rejected_total",
            "edge_inference_queue", "edge_inference_tasks" });
        using var dashboard = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Repository.File("cluster-config", "monitoring", "grafana-dashboard.json")));
        var plotted = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => Regex.Replace(t.GetProperty("expr").GetString()!, @"by \([^)]*\)", "")) // labels, not metrics
            .SelectMany(expr => Regex.Matches(expr, @"\b((?:edge|http|dotnet|kestrel)_[a-z_]+)").Select(m => m.Groups[1].Value))
            .Select(name => Regex.Replace(name, "_(bucket|sum|count)$", ""))
            .ToHashSet();
        Assert.True(plotted.Count >= 8);
        Assert.Empty(plotted.Except(exported));
    }

    /// <summary>The sum of a metric's samples whose labels include all of <paramref name="labels"/>.</summary>
    private static double Value(string text, string name, params string[] labels) =>
        Regex.Matches(text, $@"^{Regex.Escape(name)}(\{{[^}}]*\}})? (\S+)$", RegexOptions.Multiline)
            .Where(m => labels.All(l => m.Groups[1].Value.Contains(l)))
            .Sum(m => double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
}
