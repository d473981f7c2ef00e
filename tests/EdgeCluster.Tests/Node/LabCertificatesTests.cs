using System.Collections;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using EdgeCluster.Node;
using EdgeCluster.Node.Security;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Node;

/// <summary>The lab CA and node certificates (edgectl certs), the trust check remoting uses, and the TLS settings.</summary>
public sealed class LabCertificatesTests
{
    [Fact]
    public void A_node_certificate_chains_to_its_lab_CA_carries_its_names_and_its_key_is_readable_by_its_owner_only()
    {
        using var dir = new TempDir();
        var made = LabCertificates.Init(dir.Path, ["n1", "n2"], new Dictionary<string, IReadOnlyList<string>> { ["n1"] = ["192.168.1.11", "pi1.local"] });
        Assert.Equal([dir.File("n1.pfx"), dir.File("n2.pfx")], made);
        var n1 = LabCertificates.LoadNode(dir.Path, "n1");
        Assert.True(n1.HasPrivateKey);
        Assert.Equal("CN=n1", n1.Subject);
        var names = n1.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["n1", "pi1.local"], names.EnumerateDnsNames().ToList());
        Assert.Equal([IPAddress.Parse("192.168.1.11")], names.EnumerateIPAddresses().ToList());
        var usages = n1.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>()
            .Select(o => o.Value).ToList();
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages);
        var trust = new LabTrust(LabCertificates.LoadCa(dir.Path));
        Assert.Null(trust.Refusal(n1));
        Assert.Null(trust.Refusal(LabCertificates.LoadNode(dir.Path, "n2")));
        if (!OperatingSystem.IsWindows())
            foreach (var secret in new[] { "ca.key", "n1.pfx", "n2.pfx" })
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File(secret)));
        Assert.Throws<InvalidOperationException>(() => LabCertificates.Init(dir.Path, ["n3"], new Dictionary<string, IReadOnlyList<string>>()));
    }

    [Fact]
    public void Another_labs_certificate_and_none_are_refused_with_the_reason_in_words()
    {
        using var lab = new TempDir();
        using var other = new TempDir();
        LabCertificates.Init(lab.Path, ["n1"], new Dictionary<string, IReadOnlyList<string>>());
        LabCertificates.Init(other.Path, ["n9"], new Dictionary<string, IReadOnlyList<string>>());
        var ca = LabCertificates.LoadCa(lab.Path);
        var otherCa = LabCertificates.LoadCa(other.Path);
        Assert.NotEqual(ca.Subject, otherCa.Subject);
        var trust = new LabTrust(ca);
        Assert.Equal($"its certificate 'CN=n9' was issued by '{otherCa.Subject}', not by this lab's CA '{ca.Subject}'",
            trust.Refusal(LabCertificates.LoadNode(other.Path, "n9")));
        Assert.Equal("it presented no certificate", trust.Refusal(null));
        // The CA itself is not a member's certificate, but a node added later by the same CA is.
        LabCertificates.Add(lab.Path, "n4", []);
        Assert.Null(trust.Refusal(LabCertificates.LoadNode(lab.Path, "n4")));
    }

    [Fact]
    public void Tls_settings_name_what_is_missing_in_one_line()
    {
        using var dir = new TempDir();
        LabCertificates.Init(dir.Path, ["n1"], new Dictionary<string, IReadOnlyList<string>>());
        var ok = NodeTls.From(Load(["--node-name", "n1", "--tls-dir", dir.Path, "--tls-validate-hostname"]));
        Assert.NotNull(ok);
        Assert.True(ok.ValidateHostname);
        Assert.Null(NodeTls.From(Load(["--node-name", "n1"])));
        var missing = Assert.Throws<SettingsException>(() => NodeTls.From(Load(["--node-name", "n2", "--tls-dir", dir.Path])));
        Assert.Contains("no certificate for node 'n2'", missing.Message);
        Assert.Contains("edgectl certs add", missing.Message);
        var noCa = Assert.Throws<SettingsException>(() => NodeTls.From(Load(["--node-name", "n1", "--tls-dir", dir.File("nowhere")])));
        Assert.Contains("no lab CA", noCa.Message);
        var https = Assert.Throws<SettingsException>(() => Load(["--https-port", "5443"]));
        Assert.Equal("--https-port needs --tls-dir (the certificates it serves; make them with: edgectl certs init)", https.Message);
        Assert.Throws<SettingsException>(() => Load(["--mqtt-tls-port", "8883"]));
        Assert.Throws<SettingsException>(() => Load(["--tls-dir", dir.Path, "--mqtt-tls-port", "70000"]));
        Assert.Equal(8883, Load(["--tls-dir", dir.Path, "--mqtt-tls-port", "8883"]).MqttTlsPort);
        Assert.True(NodeSettings.Load([], new Hashtable { ["EDGE_TLS_VALIDATE_HOSTNAME"] = "on" }).TlsValidateHostname);
    }

    private static NodeSettings Load(string[] args) => NodeSettings.Load(args, new Hashtable());
}
