using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeCluster.Node.Security;

/// <summary>
/// A lab's own certificate authority and one certificate per node, made with System.Security.Cryptography (no openssl).
/// A folder holds <c>ca.crt</c> (the CA's certificate, PEM: every node and every TLS client trusts it), <c>ca.key</c>
/// (its private key: needed only to add nodes, keep it off the Pis) and <c>&lt;node&gt;.pfx</c> (a node's certificate and
/// key, PKCS#12 without a password, readable by its owner only). Keys are ECDSA P-256.
/// </summary>
public static class LabCertificates
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";
    public static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan NodeLifetime = TimeSpan.FromDays(825);

    public static string NodeFile(string node) => $"{node}.pfx";

    /// <summary>A new CA in <paramref name="dir"/> and a certificate for each node; refuses a folder that already has a CA.</summary>
    /// <param name="hosts">Extra names per node (IP addresses or DNS names) its certificate carries besides its own name.</param>
    public static IReadOnlyList<string> Init(string dir, IReadOnlyList<string> nodes, IReadOnlyDictionary<string, IReadOnlyList<string>> hosts)
    {
        Directory.CreateDirectory(dir);
        var caPath = Path.Combine(dir, CaCertificateFile);
        if (File.Exists(caPath))
            throw new InvalidOperationException($"{caPath} exists: this folder already has a lab CA (add nodes with: edgectl certs add --ca {dir} <node>)");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // A name of its own, so that the line a member logs about another lab's certificate names both CAs apart.
        var name = new X500DistinguishedName($"CN=EdgeCluster lab CA {Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}");
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var ca = request.CreateSelfSigned(now, now + CaLifetime);
        WritePrivate(Path.Combine(dir, CaKeyFile), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(caPath, ca.ExportCertificatePem() + "\n");
        return nodes.Select(n => Add(dir, n, hosts.GetValueOrDefault(n) ?? [])).ToList();
    }

    /// <summary>A certificate for <paramref name="node"/> signed by the folder's CA; the path of its .pfx.</summary>
    public static string Add(string dir, string node, IReadOnlyList<string> hosts)
    {
        var (ca, caKey) = LoadAuthority(dir);
        using (ca)
        using (caKey)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(new X500DistinguishedName($"CN={node}"), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            // Both: a member is a TLS server to the members that connect to it and a client to those it connects to.
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(node);
            foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (IPAddress.TryParse(host, out var ip)) names.AddIpAddress(ip);
                else names.AddDnsName(host);
            }
            request.CertificateExtensions.Add(names.Build());
            var now = DateTimeOffset.UtcNow.AddMinutes(-5);
            var notAfter = now + NodeLifetime < ca.NotAfter ? now + NodeLifetime : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
            using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now, notAfter, RandomNumberGenerator.GetBytes(16));
            using var withKey = signed.CopyWithPrivateKey(key);
            var path = Path.Combine(dir, NodeFile(node));
            WritePrivate(path, withKey.Export(X509ContentType.Pkcs12));
            return path;
        }
    }

    /// <summary>The lab CA's certificate in <paramref name="dir"/>.</summary>
    public static X509Certificate2 LoadCa(string dir)
    {
        var path = Path.Combine(dir, CaCertificateFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"no lab CA: {path} not found (make one with: edgectl certs init --out {dir} --nodes ...)", path);
        var pem = File.ReadAllText(path);
        var fields = PemEncoding.Find(pem);
        return X509CertificateLoader.LoadCertificate(Convert.FromBase64String(pem[fields.Base64Data]));
    }

    /// <summary>A node's certificate with its private key.</summary>
    public static X509Certificate2 LoadNode(string dir, string node)
    {
        var path = Path.Combine(dir, NodeFile(node));
        if (!File.Exists(path))
            throw new FileNotFoundException($"no certificate for node '{node}': {path} not found (make one with: edgectl certs add --ca <CA folder> {node})", path);
        return X509CertificateLoader.LoadPkcs12FromFile(path, (string?)null);
    }

    private static (X509Certificate2 Ca, ECDsa Key) LoadAuthority(string dir)
    {
        var keyPath = Path.Combine(dir, CaKeyFile);
        if (!File.Exists(keyPath)) throw new FileNotFoundException($"no lab CA key: {keyPath} not found (it is made by edgectl certs init)", keyPath);
        var ca = LoadCa(dir);
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyPath));
        return (ca, key);
    }

    /// <summary>Written readable by its owner only, created that way rather than narrowed after.</summary>
    private static void WritePrivate(string path, string text) => WritePrivate(path, System.Text.Encoding.ASCII.GetBytes(text));

    private static void WritePrivate(string path, byte[] bytes)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(path, options);
        file.Write(bytes);
    }
}

/// <summary>
/// Which certificates this lab trusts: those issued by its CA, checked as a chain to that CA alone (not the system's
/// roots). <see cref="Refusal"/> says in words why a certificate is not trusted, for the one line a member logs.
/// </summary>
public sealed class LabTrust(X509Certificate2 ca)
{
    public X509Certificate2 Ca { get; } = ca;

    /// <summary>Null when <paramref name="certificate"/> is the lab's; otherwise why not, in words.</summary>
    public string? Refusal(X509Certificate2? certificate)
    {
        if (certificate is null) return "it presented no certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate)) return null;
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            return $"its certificate '{certificate.Subject}' was issued by '{certificate.Issuer}', not by this lab's CA '{Ca.Subject}'";
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            return $"its certificate '{certificate.Subject}' is valid only from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}";
        return $"its certificate '{certificate.Subject}' failed validation against this lab's CA: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
    }
}
