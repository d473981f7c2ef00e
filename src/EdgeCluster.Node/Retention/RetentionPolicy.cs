using System.Globalization;

namespace EdgeCluster.Node.Retention;

/// <summary>
/// Tiered retention (the lab's section 7.2): raw readings for <see cref="Hot"/>, hourly rollups for <see cref="Warm"/>,
/// daily rollups for <see cref="Cold"/>, then nothing; raw readings leaving the hot tier go to Parquet files first unless
/// the archive is off. <c>--retention off</c> (the default) keeps everything; <c>on</c> is the lab's tiers.
/// </summary>
public sealed record RetentionPolicy(TimeSpan Hot, TimeSpan Warm, TimeSpan Cold, bool Archive, TimeSpan Every)
{
    public static readonly RetentionPolicy Lab = new(TimeSpan.FromHours(24), TimeSpan.FromDays(7), TimeSpan.FromDays(30), true, TimeSpan.FromMinutes(1));

    /// <summary>As the setting writes it.</summary>
    public override string ToString() =>
        $"hot={Text(Hot)},warm={Text(Warm)},cold={Text(Cold)},archive={(Archive ? "parquet" : "off")},every={Text(Every)}";

    /// <summary>null for <c>off</c>; otherwise the lab's tiers with the given parts changed. Throws a <see cref="SettingsException"/> naming the part.</summary>
    public static RetentionPolicy? Parse(string text, string option = "--retention")
    {
        text = text.Trim();
        if (text.Length == 0 || text.Equals("off", StringComparison.OrdinalIgnoreCase)) return null;
        var policy = Lab;
        if (text.Equals("on", StringComparison.OrdinalIgnoreCase)) return policy;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            var (key, value) = eq < 0 ? (part, "") : (part[..eq].ToLowerInvariant(), part[(eq + 1)..]);
            policy = key switch
            {
                "hot" => policy with { Hot = Duration(value, option, key) },
                "warm" => policy with { Warm = Duration(value, option, key) },
                "cold" => policy with { Cold = Duration(value, option, key) },
                "every" => policy with { Every = Duration(value, option, key) },
                "archive" => value.ToLowerInvariant() switch
                {
                    "parquet" or "on" => policy with { Archive = true },
                    "off" => policy with { Archive = false },
                    _ => throw new SettingsException($"{option}: archive must be parquet or off, not '{value}'"),
                },
                _ => throw new SettingsException(
                    $"{option}: '{part}' is not a tier; write off, on, or hot=24h,warm=7d,cold=30d,archive=parquet|off,every=1m"),
            };
        }
        if (policy.Hot > policy.Warm || policy.Warm > policy.Cold)
            throw new SettingsException($"{option}: tiers must not shrink: hot ({Text(policy.Hot)}) <= warm ({Text(policy.Warm)}) <= cold ({Text(policy.Cold)})");
        return policy;
    }

    private static TimeSpan Duration(string value, string option, string key)
    {
        if (value.Length >= 2 && long.TryParse(value[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? span = char.ToLowerInvariant(value[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (span is { } s && s <= TimeSpan.FromDays(36_500)) return s;
        }
        throw new SettingsException($"{option}: {key} must be a positive number with s, m, h or d (such as 24h), not '{value}'");
    }

    private static string Text(TimeSpan span) =>
        span.TotalDays >= 2 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0}d"
        : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0}h"
        : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0}m"
        : $"{span.TotalSeconds:0}s";
}
