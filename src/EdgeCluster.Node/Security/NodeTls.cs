using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;

namespace EdgeCluster.Node.Security;

/// <summary>
/// A node's TLS from <c>--tls-dir</c>: its certificate (<c>&lt;node&gt;.pfx</c>) and the lab CA (<c>ca.crt</c>). Remoting
/// runs over TLS with mutual authentication: both ends present a certificate and both check it against the lab CA (not
/// the system's roots), so a machine without a certificate of this lab cannot join, and the member it tried says why in
/// one line. HTTPS and MQTT over TLS serve the same certificate.
/// </summary>
public sealed class NodeTls
{
    /// <summary>One line per refused certificate and peer host at most this often (a refused node retries its join every few seconds).</summary>
    private static readonly TimeSpan RefusalLogEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTime> _refusalsLogged = new();

    private NodeTls(X509Certificate2 certificate, LabTrust trust, bool validateHostname)
    {
        Certificate = certificate;
        Trust = trust;
        ValidateHostname = validateHostname;
    }

    public X509Certificate2 Certificate { get; }
    public LabTrust Trust { get; }
    public bool ValidateHostname { get; }

    /// <summary>The node's TLS settings, or null without --tls-dir; a folder without this node's files stops the node with one line.</summary>
    public static NodeTls? From(NodeSettings settings)
    {
        if (settings.TlsDir is null) return null;
        try
        {
            var ca = LabCertificates.LoadCa(settings.TlsDir);
            var certificate = LabCertificates.LoadNode(settings.TlsDir, settings.NodeName);
            if (!certificate.HasPrivateKey) throw new SettingsException($"--tls-dir: {LabCertificates.NodeFile(settings.NodeName)} has no private key");
            var trust = new LabTrust(ca);
            if (trust.Refusal(certificate) is { } why)
                throw new SettingsException($"--tls-dir: this node's own certificate cannot be used: {why}");
            return new NodeTls(certificate, trust, settings.TlsValidateHostname);
        }
        catch (Exception e) when (e is FileNotFoundException or System.Security.Cryptography.CryptographicException)
        {
            throw new SettingsException($"--tls-dir: {e.Message}");
        }
    }

    /// <summary>Akka.Remote over TLS: mutual authentication, the lab CA as the only root, hostname validation as configured.</summary>
    public SslOptions RemotingSsl() => new()
    {
        X509Certificate = Certificate,
        SuppressValidation = false,
        RequireMutualAuthentication = true,
        ValidateCertificateHostname = ValidateHostname,
        CustomValidator = ValidateRemotingPeer,
    };

    /// <summary>Called on both ends of every remoting handshake (server: the client's certificate; client: the server's).</summary>
    private bool ValidateRemotingPeer(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        var why = Trust.Refusal(certificate);
        if (why is null && ValidateHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            why = $"its certificate '{certificate!.Subject}' does not name the host it was reached at (--tls-validate-hostname is on)";
        if (why is null) return true;
        var host = peer.Contains('@') ? peer[(peer.IndexOf('@') + 1)..] : peer;
        host = host.LastIndexOf(':') is var colon and > 0 ? host[..colon] : host;
        var key = $"{host}|{certificate?.Thumbprint}";
        var now = DateTime.UtcNow;
        if (!_refusalsLogged.TryGetValue(key, out var last) || now - last > RefusalLogEvery)
        {
            _refusalsLogged[key] = now;
            log.Error("Remoting TLS: refused {0}: {1}. Only machines with a certificate from this lab's CA may join " +
                      "(make one with: edgectl certs add --ca <CA folder> <node>)", peer, why);
        }
        return false;
    }
}
