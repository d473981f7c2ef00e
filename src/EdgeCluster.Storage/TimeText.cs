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

    /// <summary>Reads the fixed-width text back; by position, since replication reads it for every reading it serves.</summary>
    public static long ToUnixMs(string text)
    {
        if (text.Length != 24 || text[4] != '-' || text[10] != 'T' || text[19] != '.' || text[23] != 'Z')
            return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();
        var time = new DateTime(Digits(text, 0, 4), Digits(text, 5, 2), Digits(text, 8, 2), Digits(text, 11, 2),
            Digits(text, 14, 2), Digits(text, 17, 2), Digits(text, 20, 3), DateTimeKind.Utc);
        return (time.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
    }

    private static int Digits(string text, int start, int count)
    {
        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = text[i] - '0';
            if (d is < 0 or > 9) throw new FormatException($"'{text}' is not a stored time");
            value = value * 10 + d;
        }
        return value;
    }
}
