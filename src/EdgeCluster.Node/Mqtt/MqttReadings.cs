using System.Buffers;
using System.Text;
using System.Text.Json;
using EdgeCluster.Domain;
using EdgeCluster.Node.Http;

namespace EdgeCluster.Node.Mqtt;

/// <summary>A publish that cannot be stored, and the field to blame (as the HTTP API names fields).</summary>
public sealed record PublishProblem(string Field, string Message);

/// <summary>
/// Readings from an MQTT publish: <c>sensors/{device}/reading</c> with the HTTP API's JSON, <c>sensors/{device}/batch</c> with
/// <c>{"readings": [...]}</c> (or an array), and the lab's own publisher on any other topic under <c>sensors/</c>, whose
/// <c>device_id</c> may be a registered device's name (<c>"sensor_room1"</c>) and whose <c>timestamp</c> is Unix seconds with a
/// fraction (<c>time.time()</c>). Validation is the HTTP API's (<see cref="ReadingValidator"/>).
/// </summary>
public static class MqttReadings
{
    public const string Root = "sensors";

    public static bool IsSensorTopic(string topic) => topic == Root || topic.StartsWith(Root + "/", StringComparison.Ordinal);

    /// <param name="deviceByName">The id of a registered device by its name, or null.</param>
    public static (IReadOnlyList<Reading>? Readings, PublishProblem? Problem) Parse(string topic, ReadOnlySequence<byte> payload, long nowMs,
        Func<string, int?> deviceByName)
    {
        if (payload.Length > NodeHost.MaxBodyBytes)
            return Fail("payload", $"payload is larger than {NodeHost.MaxBodyBytes} bytes");
        var segments = topic.Split('/');
        var topicDevice = segments.Length == 3 && segments[2] is "reading" or "batch" ? segments[1] : null;
        var batch = segments.Length == 3 && segments[2] == "batch";

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(payload);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            return Fail("payload", $"payload is not JSON: {e.Message}");
        }
        catch (DecoderFallbackException)
        {
            return Fail("payload", "payload is not UTF-8 JSON");
        }
        using (document)
        {
            var root = document.RootElement;
            List<(JsonElement Item, string Prefix)> items;
            if (batch || root.ValueKind == JsonValueKind.Array || root.ValueKind == JsonValueKind.Object && root.TryGetProperty("readings", out _))
            {
                var array = root.ValueKind == JsonValueKind.Array ? root
                    : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("readings", out var r) && r.ValueKind == JsonValueKind.Array ? r
                    : default;
                if (array.ValueKind != JsonValueKind.Array)
                    return Fail("readings", "a batch is {\"readings\": [...]} or a JSON array of readings");
                if (array.GetArrayLength() == 0) return Fail("readings", "readings must not be empty");
                if (array.GetArrayLength() > ReadingEndpoints.MaxBatch)
                    return Fail("readings", $"a batch holds at most {ReadingEndpoints.MaxBatch} readings");
                items = array.EnumerateArray().Select((e, i) => (e, $"readings[{i}].")).ToList();
            }
            else if (root.ValueKind == JsonValueKind.Object) items = [(root, "")];
            else return Fail("payload", "payload must be a JSON object with device_id, temperature, humidity");

            var readings = new List<Reading>(items.Count);
            foreach (var (item, prefix) in items)
            {
                if (item.ValueKind != JsonValueKind.Object) return Fail(prefix.TrimEnd('.'), $"{prefix.TrimEnd('.')} must be a JSON object");
                var raw = RequestInput.RawReadingFrom(item);
                var device = raw.DeviceId ?? topicDevice;
                if (device is string name && !ReadingValidator.TryInteger(name, out _))
                {
                    if (deviceByName(name) is not { } id)
                        return Fail(prefix + "device_id", $"device '{name}' is not registered: register it with POST /api/devices (its name)");
                    device = (long)id;
                }
                var (reading, error) = ReadingValidator.Validate(raw with { DeviceId = device }, nowMs);
                if (error is not null) return Fail(prefix + error.Field, error.Message);
                readings.Add(reading!);
            }
            return (readings, null);
        }
    }

    private static (IReadOnlyList<Reading>?, PublishProblem?) Fail(string field, string message) => (null, new PublishProblem(field, message));
}
