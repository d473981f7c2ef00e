using System.Globalization;

namespace EdgeCluster.Domain;

/// <summary>Why an input was refused: the field it names, and what is wrong with it.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>
/// A reading's fields as they arrived (JSON values or query-string text), before validation.
/// Each value is either a number, a string, or null when absent.
/// </summary>
public sealed record RawReading(object? DeviceId, object? Temperature, object? Humidity, object? Timestamp, object? Seq);

public static class ReadingValidator
{
    public static readonly DateTimeOffset EarliestPlausible = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan MaxClockAhead = TimeSpan.FromMinutes(5);
    public const double MinTemperature = -100, MaxTemperature = 200;
    public const double MinHumidity = 0, MaxHumidity = 100;

    /// <summary>Turns one raw reading into a Reading, or names the first field that is wrong.</summary>
    public static (Reading? Reading, FieldError? Error) Validate(RawReading raw, long receivedAtMs)
    {
        if (!TryInteger(raw.DeviceId, out var deviceId) || deviceId < 1 || deviceId > int.MaxValue)
            return Fail("device_id", raw.DeviceId is null ? "device_id is required" : "device_id must be a positive integer");
        if (!TryNumber(raw.Temperature, out var temperature))
            return Fail("temperature", raw.Temperature is null ? "temperature is required" : "temperature must be a number");
        if (temperature < MinTemperature || temperature > MaxTemperature)
            return Fail("temperature", $"temperature must be between {MinTemperature} and {MaxTemperature} °C");
        if (!TryNumber(raw.Humidity, out var humidity))
            return Fail("humidity", raw.Humidity is null ? "humidity is required" : "humidity must be a number");
        if (humidity < MinHumidity || humidity > MaxHumidity)
            return Fail("humidity", $"humidity must be between {MinHumidity} and {MaxHumidity} %");

        long deviceTimeMs = receivedAtMs;
        if (raw.Timestamp is not null)
        {
            if (!TryTimestamp(raw.Timestamp, out deviceTimeMs))
                return Fail("timestamp", "timestamp must be ISO-8601 or Unix seconds or milliseconds");
            if (deviceTimeMs < EarliestPlausible.ToUnixTimeMilliseconds())
                return Fail("timestamp", "timestamp is before 2020: is the device clock set (NTP)?");
            if (deviceTimeMs > receivedAtMs + (long)MaxClockAhead.TotalMilliseconds)
                return Fail("timestamp", "timestamp is more than 5 minutes in the future");
        }

        long? seq = null;
        if (raw.Seq is not null)
        {
            if (!TryInteger(raw.Seq, out var s) || s < 0)
                return Fail("seq", "seq must be a non-negative integer");
            seq = s;
        }

        return (new Reading((int)deviceId, temperature, humidity, deviceTimeMs, receivedAtMs, seq), null);
    }

    private static (Reading?, FieldError?) Fail(string field, string message) => (null, new FieldError(field, message));

    public static bool TryInteger(object? value, out long result)
    {
        result = 0;
        switch (value)
        {
            case long l: result = l; return true;
            case int i: result = i; return true;
            case double d when double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) < 9e15: result = (long)d; return true;
            case decimal m when decimal.Truncate(m) == m && Math.Abs(m) < 9e15m: result = (long)m; return true;
            case string s: return long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out result);
            default: return false;
        }
    }

    public static bool TryNumber(object? value, out double result)
    {
        result = value switch
        {
            double d => d,
            long l => l,
            int i => i,
            decimal m => (double)m,
            string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => double.NaN,
        };
        return double.IsFinite(result);
    }

    /// <summary>ISO-8601 text, or a Unix time: seconds below 10^11, milliseconds above.</summary>
    public static bool TryTimestamp(object? value, out long unixMs)
    {
        unixMs = 0;
        if (value is string s)
        {
            s = s.Trim();
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                return FromUnixNumber(n, out unixMs);
            if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
            {
                unixMs = dto.ToUnixTimeMilliseconds();
                return true;
            }
            return false;
        }
        return TryNumber(value, out var number) && FromUnixNumber(number, out unixMs);
    }

    private static bool FromUnixNumber(double n, out long unixMs)
    {
        unixMs = 0;
        if (!double.IsFinite(n) || n < 0 || n > 1e14) return false;
        unixMs = n < 1e11 ? (long)Math.Round(n * 1000) : (long)Math.Round(n);
        return true;
    }
}
