using System.CommandLine;
using EdgeCluster.Node.Security;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl certs init | add</c>: a lab CA and a certificate per node, for remoting over TLS (--tls-dir), HTTPS and MQTT over TLS.</summary>
public static class CertsCommands
{
    public static Command Build()
    {
        var outDir = new Option<string>("--out") { Description = "the folder to make (ca.crt, ca.key, <node>.pfx)", Required = true };
        var nodes = new Option<string>("--nodes") { Description = "the nodes' names (their --node-name), comma-separated, like n1,n2,n3", Required = true };
        var initHosts = Hosts();
        var init = new Command("init", "make a lab CA and a certificate for each node").With(outDir, nodes, initHosts);
        init.SetAction(p =>
        {
            var names = Names(p.GetValue(nodes)!);
            var hosts = HostsByNode(p.GetValue(initHosts) ?? [], names);
            var dir = Path.GetFullPath(p.GetValue(outDir)!);
            IReadOnlyList<string> made;
            try { made = LabCertificates.Init(dir, names, hosts); }
            catch (InvalidOperationException e) { throw new CliException(e.Message); }
            Report(dir, made);
            return 0;
        });

        var caDir = new Option<string>("--ca") { Description = "the lab's folder made by certs init (its ca.key signs)", Required = true };
        var node = new Argument<string>("node") { Description = "the new node's name (its --node-name)" };
        var addHosts = Hosts();
        var add = new Command("add", "add a certificate for one more node, signed by the lab's CA").With(node, caDir, addHosts);
        add.SetAction(p =>
        {
            var name = Names(p.GetValue(node)!).Single();
            var hosts = HostsByNode(p.GetValue(addHosts) ?? [], [name]);
            var dir = Path.GetFullPath(p.GetValue(caDir)!);
            string made;
            try { made = LabCertificates.Add(dir, name, hosts.GetValueOrDefault(name) ?? []); }
            catch (Exception e) when (e is FileNotFoundException or System.Security.Cryptography.CryptographicException) { throw new CliException(e.Message); }
            Report(dir, [made]);
            return 0;
        });

        return new Command("certs", "certificates for a lab on a shared network: remoting over TLS, HTTPS, MQTT over TLS").With(init, add);
    }

    private static Option<string[]> Hosts() => new("--host")
    {
        Description = "node=host: one more name the node's certificate carries (an IP address or DNS name boards and members reach it at); repeatable",
        AllowMultipleArgumentsPerToken = false,
    };

    private static IReadOnlyList<string> Names(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw CliException.Usage("name at least one node");
        foreach (var name in names)
            if (!EdgeCluster.Node.SettingRules.IsNodeName(name))
                throw CliException.Usage($"node name '{name}' must be 1-64 letters, digits, '-', '_' or '.' (as --node-name)");
        return names;
    }

    private static Dictionary<string, IReadOnlyList<string>> HostsByNode(IEnumerable<string> entries, IReadOnlyList<string> nodes)
    {
        var byNode = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var entry in entries)
        {
            var eq = entry.IndexOf('=');
            if (eq <= 0 || eq == entry.Length - 1) throw CliException.Usage($"--host '{entry}' must be node=host, like n1=192.168.1.11");
            var (name, host) = (entry[..eq], entry[(eq + 1)..]);
            if (!nodes.Contains(name)) throw CliException.Usage($"--host '{entry}' names node '{name}', which is not among {string.Join(", ", nodes)}");
            if (Uri.CheckHostName(host) == UriHostNameType.Unknown) throw CliException.Usage($"--host '{entry}': '{host}' is not a host name or IP address");
            byNode[name] = [.. byNode.GetValueOrDefault(name) ?? [], host];
        }
        return byNode;
    }

    private static void Report(string dir, IReadOnlyList<string> made)
    {
        foreach (var path in made) Output.Out.WriteLine($"made {path}");
        Output.Out.WriteLine($"lab CA: {Path.Combine(dir, LabCertificates.CaCertificateFile)}; copy ca.crt and each node's .pfx to its Pi " +
                             $"(not ca.key) and start it with --tls-dir <that folder>");
    }
}
