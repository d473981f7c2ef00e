using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Actors;

namespace EdgeCluster.Node;

/// <summary>The ports a node bound, as its ready line says them (port 0 asks the OS; this is how a starter learns what it got).</summary>
public static class ReadyLine
{
    private static readonly System.Text.RegularExpressions.Regex Pattern =
        new(@"Node (?<name>\S+) ready[^:]*: HTTP http://[^:]+:(?<http>\d+), Akka akka\.[a-z.]+://edgecluster@[^:]+:(?<akka>\d+)");

    /// <summary>The HTTP and Akka ports of <paramref name="nodeName"/>'s first ready line in <paramref name="log"/>, or null.</summary>
    public static (int Http, int Akka)? Ports(string log, string nodeName) =>
        Pattern.Matches(log).FirstOrDefault(m => m.Groups["name"].Value == nodeName) is { } ready
            ? (int.Parse(ready.Groups["http"].Value), int.Parse(ready.Groups["akka"].Value))
            : null;
}

/// <summary>Once the node serves, one line with what a user needs: who it is, where it answers, its data, its profile, its seeds.</summary>
internal sealed class ReadyLogService(NodeSettings settings, SelfInfo self, ActorSystem system, ProfileSettings profile, NodeRuntime runtime,
    IHostApplicationLifetime lifetime, ILogger<ReadyLogService> log, Security.NodeTls? tls = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => log.LogInformation(
            "Node {Node} ready{Incarnation}: HTTP {Http}, Akka {Akka}, MQTT {Mqtt}, TLS {Tls}, data {Data}, profile {Profile} ({Downing}), {Seeds}",
            settings.NodeName, runtime.Incarnation > 1 ? $" (actor system {runtime.Incarnation}, rejoining)" : "",
            string.IsNullOrEmpty(self.HttpUrl) ? $"port {settings.HttpPort}" : self.HttpUrl, Cluster.Get(system).SelfAddress,
            settings.MqttPort == 0 ? "off" : $"port {settings.MqttPort} and {Mqtt.MqttHosting.WebSocketPath} (WebSockets)",
            tls is null ? "off" : $"remoting with mutual authentication (lab CA '{tls.Trust.Ca.Subject}'), HTTPS "
                + (settings.HttpsPort == 0 ? "off" : $"port {settings.HttpsPort}") + ", MQTT over TLS " + (settings.MqttTlsPort == 0 ? "off" : $"port {settings.MqttTlsPort}"),
            Path.GetFullPath(settings.DataDir), profile.Name, profile.Downing,
            settings.Seeds.Count == 0 ? "no seeds: a cluster of its own" : "seeds " + string.Join(", ", settings.Seeds)));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
