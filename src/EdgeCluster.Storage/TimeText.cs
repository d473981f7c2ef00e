using System.Globalization;

namespace EdgeCluster.Storage;

/// <summary>
/// Times in the read model are fixed-width ISO-8601 UTC text, so they sort as text and the lab's
/// SQL (strftime, datetime('now', '-24 hours'), DATE(timestamp)) runs on them unchanged.
/// </summary>
public static class TimeText
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string FromUnixMs(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static long ToUnixMs(string text) =>
        DateTimeOffset.ParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
}
