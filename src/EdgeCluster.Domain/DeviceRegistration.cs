namespace EdgeCluster.Domain;

/// <summary>A request to add or change a device in the registry, as it arrived.</summary>
public sealed record RawDevice(object? DeviceId, object? Name, object? Type, object? Location, object? IntervalS = null);

public static class DeviceValidator
{
    public const int MaxTextLength = 200;

    public static (DeviceInfo? Device, FieldError? Error) Validate(RawDevice raw, long nowMs)
    {
        if (!ReadingValidator.TryInteger(raw.DeviceId, out var id) || id < 1 || id > int.MaxValue)
            return (null, new FieldError("device_id", raw.DeviceId is null ? "device_id is required" : "device_id must be a positive integer"));
        if (raw.Name is not string name || string.IsNullOrWhiteSpace(name))
            return (null, new FieldError("name", "name is required and must be text"));
        if (name.Length > MaxTextLength)
            return (null, new FieldError("name", $"name is longer than {MaxTextLength} characters"));
        var type = raw.Type switch { null => "DHT22", string t when !string.IsNullOrWhiteSpace(t) => t, _ => null };
        if (type is null || type.Length > MaxTextLength)
            return (null, new FieldError("type", "type must be non-empty text"));
        if (raw.Location is not null and not string)
            return (null, new FieldError("location", "location must be text"));
        var location = raw.Location as string;
        if (location?.Length > MaxTextLength)
            return (null, new FieldError("location", $"location is longer than {MaxTextLength} characters"));
        int? interval = null;
        if (raw.IntervalS is not null)
        {
            if (!ReadingValidator.TryInteger(raw.IntervalS, out var seconds) || seconds < 1 || seconds > 86_400)
                return (null, new FieldError("interval_s", "interval_s must be a whole number of seconds from 1 to 86400"));
            interval = (int)seconds;
        }
        return (new DeviceInfo((int)id, name.Trim(), type.Trim(), location?.Trim(), nowMs, interval), null);
    }

    /// <summary>The entry a device gets when the node auto-registers it on its first reading.</summary>
    public static DeviceInfo AutoRegistered(int deviceId, long nowMs) =>
        new(deviceId, $"device-{deviceId}", "auto", null, nowMs);
}
