using System.Globalization;

namespace EdgeCluster.Storage;

/// <summary>
/// Times in the read model are fixed-width ISO-8601 UTC text, so they sort as text and the lab's
/// SQL (strftime, datetime('now', '-24 hours'), DATE(timestamp)) runs on them unchanged.
/// </summary>
public static class TimeText
{
    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss.fffZ, written by position: the read model formats two times for every reading it stores, and
    /// the general formatter (<c>ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'")</c>, which gives the same text) was a visible
    /// share of the writer's time.
    /// </summary>
    public static string FromUnixMs(long ms)
    {
        // A DateTime's year is 1 to 9999 (FromUnixTimeMilliseconds refuses anything else): always four digits.
        return string.Create(24, DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime, static (c, t) =>
        {
            Put(c, 0, 4, t.Year);
            c[4] = '-';
            Put(c, 5, 2, t.Month);
            c[7] = '-';
            Put(c, 8, 2, t.Day);
            c[10] = 'T';
            Put(c, 11, 2, t.Hour);
            c[13] = ':';
            Put(c, 14, 2, t.Minute);
            c[16] = ':';
            Put(c, 17, 2, t.Second);
            c[19] = '.';
            Put(c, 20, 3, t.Millisecond);
            c[23] = 'Z';
        });
    }

    private static void Put(Span<char> text, int start, int count, int value)
    {
        for (var i = start + count - 1; i >= start; i--)
        {
            text[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }

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
