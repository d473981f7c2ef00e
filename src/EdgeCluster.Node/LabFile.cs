using System.Text.Json;

namespace EdgeCluster.Node;

/// <summary>
/// A lab's cluster in one file (cluster-config/labs/*.json): settings every node shares, and each
/// node's own under its node name. A node started with --lab FILE --node-name NAME takes both.
/// <code>{ "Shared": { "Seeds": "pi-1:4053,pi-2:4053" }, "Nodes": { "pi-1": { "Roles": "edge,coordinator" } } }</code>
/// </summary>
public static class LabFile
{
    public static IReadOnlyDictionary<string, string> Settings(string path, string nodeName)
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

            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("Shared", out var shared)) Add(settings, shared, path);
            Add(settings, node, path);
            settings["NodeName"] = nodeName;
            return settings;
        }
    }

    private static void Add(Dictionary<string, string> settings, JsonElement section, string path)
    {
        foreach (var property in section.EnumerateObject())
        {
            if (!NodeSettings.Switches.Values.Contains(property.Name, StringComparer.OrdinalIgnoreCase) || property.Name == "Lab")
                throw new SettingsException($"--lab '{path}': unknown setting '{property.Name}'");
            settings[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }
    }
}
