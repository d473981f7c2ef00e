using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCluster.Contracts;

/// <summary>How the API writes and reads JSON: the lab's snake_case field names, nulls left out. Set once, here.</summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        return options;
    }
}
