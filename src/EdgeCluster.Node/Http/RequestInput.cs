using System.Buffers;
using System.Text.Json;
using EdgeCluster.Domain;
using Microsoft.Extensions.Primitives;

namespace EdgeCluster.Node.Http;

/// <summary>Reads request bodies and query strings into raw field values, refusing what is too large or not JSON.</summary>
public static class RequestInput
{
    public sealed record Body(JsonElement? Json, IResult? Error);

    public static async Task<Body> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > NodeHost.MaxBodyBytes) return new Body(null, ApiErrors.TooLarge());
        var contentType = request.ContentType;
        if (!string.IsNullOrEmpty(contentType) && !IsJson(contentType))
            return new Body(null, ApiErrors.UnsupportedMediaType(contentType));

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(request.ContentLength ?? 4096, 256, NodeHost.MaxBodyBytes + 1));
        try
        {
            var length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            {
                length += read;
                if (length > NodeHost.MaxBodyBytes) return new Body(null, ApiErrors.TooLarge());
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, NodeHost.MaxBodyBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }
            if (length == 0) return new Body(null, ApiErrors.BadRequest("body", "request body is empty: send a JSON object"));
            using var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 16 });
            return new Body(document.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return new Body(null, ApiErrors.BadRequest("body", $"request body is not valid JSON: {e.Message}"));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads ?consistency=eventual|strong (eventual when absent); anything else is a 400 naming the field.</summary>
    public static bool TryConsistency(HttpRequest request, out bool strong, out IResult error)
    {
        var text = request.Query["consistency"].ToString();
        strong = text == "strong" || (text == "" && request.HttpContext.RequestServices.GetRequiredService<ProfileSettings>().StrongByDefault);
        error = Results.Empty;
        if (text is "" or "eventual" or "strong") return true;
        error = ApiErrors.BadRequest("consistency", "consistency must be eventual or strong");
        return false;
    }

    public static bool IsJson(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ||
        contentType.Contains("+json", StringComparison.OrdinalIgnoreCase) ||
        contentType.StartsWith("text/json", StringComparison.OrdinalIgnoreCase);

    public static bool IsForm(string? contentType) =>
        contentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>A JSON value as the validators take it: numbers as long or double, text as string, null as null.</summary>
    public static object? Value(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => element,
    };

    public static object? Field(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) ? Value(value) : null;

    /// <summary>A batch refused: the field to blame, the message, and the item's index when one item is to blame.</summary>
    public sealed record BatchProblem(string Field, string Message, int? Index = null);

    /// <summary>
    /// The readings of a batch, <c>{"readings": [...]}</c> or a bare array, validated whole: the first bad item refuses the
    /// batch, named by its index and field (<c>readings[3].humidity</c>). The HTTP batch endpoint and the MQTT door's batches
    /// read them here; <paramref name="resolve"/> may complete or refuse an item's raw reading first (the MQTT door's device
    /// names and topic device).
    /// </summary>
    public static (Reading[]? Readings, BatchProblem? Problem) ReadBatch(JsonElement root, long nowMs,
        Func<RawReading, (RawReading Raw, FieldError? Error)>? resolve = null)
    {
        JsonElement items;
        if (root.ValueKind == JsonValueKind.Array) items = root;
        else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("readings", out var r) && r.ValueKind == JsonValueKind.Array)
            items = r;
        else return (null, new BatchProblem("readings", "body must be {\"readings\": [...]} or a JSON array of readings"));

        var count = items.GetArrayLength();
        if (count == 0) return (null, new BatchProblem("readings", "readings must not be empty"));
        if (count > ReadingEndpoints.MaxBatch)
            return (null, new BatchProblem("readings", $"a batch holds at most {ReadingEndpoints.MaxBatch} readings, this one has {count}"));

        var readings = new Reading[count];
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                return (null, new BatchProblem($"readings[{index}]", $"readings[{index}] must be a JSON object", index));
            var raw = RawReadingFrom(item);
            FieldError? error = null;
            if (resolve is not null) (raw, error) = resolve(raw);
            Reading? reading = null;
            if (error is null) (reading, error) = ReadingValidator.Validate(raw, nowMs);
            if (error is not null)
                return (null, new BatchProblem($"readings[{index}].{error.Field}", $"readings[{index}]: {error.Message}", index));
            readings[index++] = reading!;
        }
        return (readings, null);
    }

    public static RawReading RawReadingFrom(JsonElement obj) => new(
        Field(obj, "device_id"), Field(obj, "temperature"), Field(obj, "humidity"), Field(obj, "timestamp"), Field(obj, "seq"));

    public static RawReading RawReadingFrom(Func<string, StringValues> lookup)
    {
        static object? Text(StringValues v) => StringValues.IsNullOrEmpty(v) ? null : (object?)v.ToString();
        return new RawReading(Text(lookup("device_id")), Text(lookup("temperature")), Text(lookup("humidity")),
            Text(lookup("timestamp")), Text(lookup("seq")));
    }
}
