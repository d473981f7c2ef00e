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
            (RawReading, FieldError?) Resolve(RawReading raw)
            {
                var device = raw.DeviceId ?? topicDevice;
                if (device is string name && !ReadingValidator.TryInteger(name, out _))
                {
                    if (deviceByName(name) is not { } id)
                        return (raw, new FieldError("device_id", $"device '{name}' is not registered: register it with POST /api/devices (its name)"));
                    device = (long)id;
                }
                return (raw with { DeviceId = device }, null);
            }

            if (batch || root.ValueKind == JsonValueKind.Array || root.ValueKind == JsonValueKind.Object && root.TryGetProperty("readings", out _))
            {
                var (readings, problem) = RequestInput.ReadBatch(root, nowMs, Resolve);
                return problem is null ? (readings, null) : Fail(problem.Field, problem.Message);
            }
            if (root.ValueKind != JsonValueKind.Object) return Fail("payload", "payload must be a JSON object with device_id, temperature, humidity");
            var (resolved, unknown) = Resolve(RequestInput.RawReadingFrom(root));
            if (unknown is not null) return Fail(unknown.Field, unknown.Message);
            var (reading, error) = ReadingValidator.Validate(resolved, nowMs);
            return error is null ? ([reading!], null) : Fail(error.Field, error.Message);
        }
    }

    private static (IReadOnlyList<Reading>?, PublishProblem?) Fail(string field, string message) => (null, new PublishProblem(field, message));
}
