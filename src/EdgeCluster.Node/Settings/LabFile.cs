using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace EdgeCluster.Node;

/// <summary>
/// A lab's cluster in one file (cluster-config/labs/*.json), as a configuration source: settings every node shares,
/// and each node's own under its node name. A node started with --lab FILE --node-name NAME takes both.
/// <code>{ "Shared": { "Seeds": "pi-1:4053,pi-2:4053" }, "Nodes": { "pi-1": { "Roles": "edge,coordinator" } } }</code>
/// </summary>
public sealed class LabFileSource(string path, string nodeName) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(path, nodeName);

    private sealed class Provider(string path, string nodeName) : ConfigurationProvider
    {
        public override void Load()
        {
            if (!File.Exists(path)) throw new SettingsException($"--lab '{path}' not found");
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            }
            catch (JsonException e)
            {
                throw new SettingsException($"--lab '{path}' is not valid JSON: {e.Message}");
            }
            using (document)
            {
                var root = document.RootElement;
                if (!root.TryGetProperty("Nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Object)
                    throw new SettingsException($"--lab '{path}' has no 'Nodes' object");
                if (!nodes.TryGetProperty(nodeName, out var node))
                    throw new SettingsException(
                        $"--lab '{path}' has no node '{nodeName}'; its nodes: {string.Join(", ", nodes.EnumerateObject().Select(n => n.Name))} (set --node-name)");
                var hasShared = root.TryGetProperty("Shared", out var shared);
                CheckSeeds(hasShared ? shared : null, nodes);
                if (hasShared) Add(shared);
                Add(node);
                Data[$"{NodeConfiguration.Section}:{nameof(NodeSettings.NodeName)}"] = nodeName;
            }
        }

        /// <summary>Every seed of every node must be one of the lab's own nodes: a typo would start a second cluster.</summary>
        private void CheckSeeds(JsonElement? shared, JsonElement nodes)
        {
            string? Setting(JsonElement node, string key) =>
                Text(node, key) ?? (shared is { } s ? Text(s, key) : null);
            var members = nodes.EnumerateObject().Select(n => (
                Host: Setting(n.Value, nameof(NodeSettings.AkkaPublicHost)) ?? Setting(n.Value, nameof(NodeSettings.AkkaHost)),
                Port: Setting(n.Value, nameof(NodeSettings.AkkaPort)) ?? new NodeSettings().AkkaPort.ToString())).ToList();
            foreach (var n in nodes.EnumerateObject())
            {
                foreach (var seed in SettingRules.List(Setting(n.Value, nameof(NodeSettings.Seeds)) ?? ""))
                {
                    var colon = seed.LastIndexOf(':');
                    var (host, port) = colon > 0 ? (seed[..colon], seed[(colon + 1)..]) : (seed, "");
                    // A node bound to every interface without a public host name is matched by its port alone.
                    if (members.Any(m => m.Port == port && (m.Host is null or "0.0.0.0" or "::" || string.Equals(m.Host, host, StringComparison.OrdinalIgnoreCase))))
                        continue;
                    throw new SettingsException($"--lab '{path}': node '{n.Name}' seeds from '{seed}', which is none of the lab's nodes " +
                        $"({string.Join(", ", members.Select(m => $"{m.Host ?? "*"}:{m.Port}"))})");
                }
            }
        }

        private static string? Text(JsonElement section, string key) =>
            section.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: not JsonValueKind.Undefined } p
                ? (p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())
                : null;

        private void Add(JsonElement section)
        {
            foreach (var property in section.EnumerateObject())
            {
                var key = NodeConfiguration.Switches.Values.FirstOrDefault(k => string.Equals(k, property.Name, StringComparison.OrdinalIgnoreCase));
                if (key is null || key == nameof(NodeSettings.Lab))
                    throw new SettingsException($"--lab '{path}': unknown setting '{property.Name}'");
                Data[$"{NodeConfiguration.Section}:{key}"] = NodeConfiguration.Normalize(key,
                    property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText());
            }
        }
    }
}
