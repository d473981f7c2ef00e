using System.Globalization;
using EdgeCluster.Domain;

namespace EdgeCluster.Node.Http;

/// <summary>Query-string values with their ranges; a value that is not one answers 400 naming the parameter.</summary>
public static class QueryArgs
{
    public static bool TryInt(HttpRequest request, string name, int fallback, int min, int max, out int value, out IResult? error)
    {
        error = null;
        value = fallback;
        if (!request.Query.TryGetValue(name, out var text)) return true;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min && value <= max) return true;
        error = ApiErrors.BadRequest(name, $"{name} must be an integer from {min} to {max}");
        return false;
    }

    public static bool TryDouble(HttpRequest request, string name, double fallback, double min, double max, out double value, out IResult? error)
    {
        error = null;
        value = fallback;
        if (!request.Query.TryGetValue(name, out var text)) return true;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value >= min && value <= max)
            return true;
        error = ApiErrors.BadRequest(name, $"{name} must be a number from {min} to {max}");
        return false;
    }

    /// <summary>A time as the readings take it: ISO-8601, or Unix seconds or milliseconds.</summary>
    public static bool TryTime(HttpRequest request, string name, out long? value, out IResult? error)
    {
        error = null;
        value = null;
        if (!request.Query.TryGetValue(name, out var text)) return true;
        if (ReadingValidator.TryTimestamp(text.ToString(), out var ms))
        {
            value = ms;
            return true;
        }
        error = ApiErrors.BadRequest(name, $"{name} must be ISO-8601 or Unix seconds or milliseconds");
        return false;
    }

    /// <summary>One of the given words (case-insensitive), or the fallback when absent.</summary>
    public static bool TryChoice(HttpRequest request, string name, string fallback, IReadOnlyCollection<string> choices, out string value, out IResult? error)
    {
        error = null;
        value = request.Query.TryGetValue(name, out var text) ? text.ToString().ToLowerInvariant() : fallback;
        if (choices.Contains(value)) return true;
        error = ApiErrors.BadRequest(name, $"{name} must be {string.Join(", ", choices.SkipLast(1))} or {choices.Last()}");
        return false;
    }
}
