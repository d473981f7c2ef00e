using System.Collections;
using EdgeCluster.Node;
using EdgeCluster.Tests.Support;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace EdgeCluster.Tests.Deployment;

/// <summary>
/// Docker cannot run here, so the compose file is checked against the node's own settings loader:
/// every service's environment must be settings a node accepts, the seeds must name services, and
/// every node must keep its data in a volume of its own.
/// </summary>
public sealed class ComposeFileTests
{
    private static Dictionary<object, object> Compose()
    {
        var yaml = File.ReadAllText(Repository.File("docker-compose.cluster.yml"));
        var parser = new MergingParser(new Parser(new StringReader(yaml)));
        return new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(parser);
    }

    private static Dictionary<object, object> Map(object node) => (Dictionary<object, object>)node;

    private static IEnumerable<string> Strings(object node) => ((IEnumerable)node).Cast<object>().Select(o => o.ToString()!);

    [Fact]
    public void Three_nodes_whose_settings_the_node_accepts_seeded_by_service_name_each_with_its_own_volume()
    {
        var compose = Compose();
        var services = Map(compose["services"]);
        Assert.Equal(["node1", "node2", "node3"], services.Keys.Select(k => k.ToString()!).Order());
        var declaredVolumes = Map(compose["volumes"]).Keys.Select(k => k.ToString()!).ToHashSet();

        var settingsByService = new Dictionary<string, NodeSettings>();
        var usedVolumes = new List<string>();
        var publishedPorts = new List<string>();
        var publishedMqttPorts = new List<string>();
        foreach (var (name, body) in services)
        {
            var service = Map(body);
            // As compose does with the variables unset: ${NAME:-default} becomes the default.
            var environment = Map(service["environment"]).ToDictionary(p => p.Key.ToString()!,
                p => System.Text.RegularExpressions.Regex.Replace(p.Value.ToString()!, @"\$\{[A-Z_]+:-([^}]*)\}", "$1"));
            var settings = NodeSettings.Load([], new Hashtable(environment));
            settingsByService[name.ToString()!] = settings;

            Assert.Equal(name.ToString(), settings.NodeName);
            Assert.Equal(name.ToString(), settings.AkkaPublicHost);
            Assert.Equal(name.ToString(), service["hostname"].ToString());
            // Docker asks the node's readiness on the HTTP port the node listens on.
            var probe = string.Join(" ", Strings(Map(service["healthcheck"])["test"]));
            Assert.Contains($"/dev/tcp/127.0.0.1/{settings.HttpPort}", probe);
            Assert.Contains("GET /readyz", probe);
            Assert.Equal("default", settings.Profile);
            Assert.Null(settings.AdminToken);

            var mounts = Strings(service["volumes"]).Select(v => v.Split(':')).ToList();
            var dataMount = Assert.Single(mounts, m => m[1] == settings.DataDir);
            Assert.Contains(dataMount[0], declaredVolumes);
            usedVolumes.Add(dataMount[0]);

            var ports = Strings(service["ports"]).Select(p => p.Split(':')).ToList();
            Assert.Equal(2, ports.Count);
            var http = Assert.Single(ports, p => p[1] == settings.HttpPort.ToString());
            publishedPorts.Add(http[0]);
            var mqtt = Assert.Single(ports, p => p[1] == settings.MqttPort.ToString());
            publishedMqttPorts.Add(mqtt[0]);
        }

        Assert.Equal(usedVolumes.Count, usedVolumes.Distinct().Count());
        Assert.Equal(["5000", "5001", "5002"], publishedPorts.Order());
        Assert.Equal(["1883", "1884", "1885"], publishedMqttPorts.Order());
        foreach (var settings in settingsByService.Values)
        {
            Assert.NotEmpty(settings.Seeds);
            foreach (var seed in settings.Seeds)
            {
                var (host, port) = (seed[..seed.LastIndexOf(':')], seed[(seed.LastIndexOf(':') + 1)..]);
                Assert.True(settingsByService.ContainsKey(host), $"seed {seed} is not a service");
                Assert.Equal(settingsByService[host].AkkaPort.ToString(), port);
            }
        }
    }

    [Fact]
    public void The_image_builds_the_node_project_and_runs_its_dll()
    {
        var dockerfile = File.ReadAllText(Repository.File("Dockerfile"));
        Assert.Contains("dotnet publish src/EdgeCluster.Node", dockerfile);
        Assert.True(File.Exists(Repository.File("src", "EdgeCluster.Node", "EdgeCluster.Node.csproj")));
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"EdgeCluster.Node.dll\"]", dockerfile);
        Assert.Contains("ARG TARGETARCH", dockerfile);
    }
}
