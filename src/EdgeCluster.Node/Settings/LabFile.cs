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
                if (root.TryGetProperty("Shared", out var shared)) Add(shared);
                Add(node);
                Data[$"{NodeConfiguration.Section}:{nameof(NodeSettings.NodeName)}"] = nodeName;
            }
        }

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
