using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using EdgeCluster.Node.Security;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// A lab on a shared network, with the certificates <c>edgectl certs</c> makes: two node processes with
/// <c>--tls-dir</c> form a cluster over remoting TLS; a node added with <c>certs add</c> joins; a node with another
/// lab's certificate and a node without TLS cannot join, and the member they tried logs one line saying why; HTTPS
/// and MQTT over TLS (mosquitto_pub with the lab CA) serve the same certificate, and the readings reach every member.
/// </summary>
[Trait("Category", "Slow")]
[Collection(LightClusterCollection.Name)]
public sealed class TlsTests
{
    [Fact]
    public async Task Members_with_the_labs_certificates_form_a_cluster_and_others_cannot_join_and_are_named_in_the_log()
    {
        using var certs = new TempDir();
        var lab = certs.File("lab");
        var init = await EdgectlProcess.RunAsync("certs", "init", "--out", lab, "--nodes", "tls0,tls1", "--host", "tls0=127.0.0.1");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("tls0.pfx", init.Out);
        var other = certs.File("other");
        Assert.Equal(0, (await EdgectlProcess.RunAsync("certs", "init", "--out", other, "--nodes", "tls3")).ExitCode);
        var again = await EdgectlProcess.RunAsync("certs", "init", "--out", lab, "--nodes", "tls0");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already has a lab CA", again.Err);

        var https = new[] { FreePort.Next(), FreePort.Next() };
        var mqtts = new[] { FreePort.Next(), FreePort.Next() };
        using var cluster = await ProcessCluster.StartAsync(2, "tls",
            i => ["--https-port", https[i].ToString(), "--mqtt-port", FreePort.Next().ToString(), "--mqtt-tls-port", mqtts[i].ToString()],
            "--tls-dir", lab, "--auto-register");
        var view = await (await cluster[0].Http.GetAsync("/api/cluster")).ReadJsonAsync();
        Assert.All(view.GetProperty("members").EnumerateArray(),
            m => Assert.StartsWith("akka.trttl.ssl.tcp://", m.GetProperty("address").GetString()));
        Assert.Contains("TLS remoting with mutual authentication", cluster[0].Log);

        // HTTPS with the node's certificate, checked against the lab CA; plain HTTP stays.
        var ca = LabCertificates.LoadCa(lab);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => new LabTrust(ca).Refusal(certificate) is null,
        };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{https[0]}") };
        var posted = await client.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 21.5, humidity = 50, seq = 1 });
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        // MQTT over TLS: mosquitto_pub checks the node's certificate against ca.crt, host name included.
        var pub = new ProcessStartInfo("mosquitto_pub");
        foreach (var a in (string[])["-h", "127.0.0.1", "-p", mqtts[0].ToString(), "--cafile", Path.Combine(lab, "ca.crt"), "-q", "1",
                     "-t", "sensors/1/reading", "-m", """{"device_id":1,"temperature":22.5,"humidity":50,"seq":2}"""])
            pub.ArgumentList.Add(a);
        var published = await ProcessRun.ToExitAsync(pub, TimeSpan.FromSeconds(30));
        Assert.True(published.ExitCode == 0, published.ToString());
        await Eventually.AssertAsync(async () => Assert.Equal(2, await CountAsync(cluster[1], 1)), TimeSpan.FromSeconds(20));

        // A node given a certificate later by certs add joins.
        var add = await EdgectlProcess.RunAsync("certs", "add", "--ca", lab, "tls2");
        Assert.True(add.ExitCode == 0, add.ToString());
        var seeds = $"127.0.0.1:{cluster[0].AkkaPort}";
        using var added = await NodeProcess.StartAsync(certs.File("tls2-data"), "tls2", 0, 0, "--seeds", seeds, "--tls-dir", lab);
        await cluster.WaitForUpAsync(cluster[0], 3);

        // Another lab's certificate, and no TLS at all: neither joins, and the member tried says why in one line.
        using var foreign = NodeProcess.Launch(certs.File("tls3-data"), "tls3", 0, 0, "--seeds", seeds, "--tls-dir", other);
        using var plain = NodeProcess.Launch(certs.File("tls4-data"), "tls4", 0, 0, "--seeds", seeds);
        await Eventually.AssertAsync(() =>
        {
            var log = cluster[0].Log;
            Assert.Contains($"its certificate 'CN=tls3' was issued by '{LabCertificates.LoadCa(other).Subject}', not by this lab's CA '{ca.Subject}'", log);
            Assert.Contains("it does not speak TLS (a node started without --tls-dir?)", log);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(40));
        // The refused node learns why too, and keeps trying rather than ending.
        await Eventually.AssertAsync(() =>
        {
            Assert.Contains("this node starts again in 5 s", foreign.Log);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(20));
        // The lab's three and no one else. On a loaded machine a member stalled past the failure detector's pause is
        // downed and joins again (its actor system restarts); what must never appear is tls3 or tls4.
        await Eventually.AssertAsync(async () =>
        {
            var members = (await (await cluster[0].Http.GetAsync("/api/cluster")).ReadJsonAsync()).GetProperty("members").EnumerateArray()
                .Select(m => m.GetProperty("node_name").GetString()).Order().ToList();
            Assert.DoesNotContain("tls3", members);
            Assert.DoesNotContain("tls4", members);
            Assert.True(members.SequenceEqual(["tls0", "tls1", "tls2"]),
                $"members: {string.Join(", ", members)}\n{cluster.LogTails()}\n--- tls2 ---\n{Tail(added.Log)}");
        }, TimeSpan.FromSeconds(60));
        // One line per refused peer, not one per attempt (the refused node retries every few seconds).
        Assert.Equal(1, cluster[0].Log.Split('\n').Count(l => l.Contains("was issued by") && l.Contains("CN=tls3")));
    }

    private static string Tail(string log, int chars = 4000) => log.Length > chars ? log[^chars..] : log;

    private static async Task<int> CountAsync(NodeProcess node, int device)
    {
        var response = await node.Http.GetAsync($"/api/readings/{device}?limit=100");
        if (!response.IsSuccessStatusCode) return -1;
        return (await response.ReadJsonAsync()).GetProperty("readings").GetArrayLength();
    }
}
