using System.Globalization;
using Npgsql;

namespace EdgeCluster.Node.Uplink;

/// <summary>
/// Where the uplink writes: <c>postgres://user:password@host:5432/db?sslmode=require</c> (or <c>postgresql://</c>), the
/// password optionally from a file instead. <see cref="Display"/> is the target without its password, for logs and the API.
/// </summary>
public sealed record UplinkTarget(string ConnectionString, string Display)
{
    private static readonly Dictionary<string, Action<NpgsqlConnectionStringBuilder, string>> QueryOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = (b, v) => b.SslMode = Enum.TryParse<SslMode>(v.Replace("-", ""), ignoreCase: true, out var mode)
            ? mode
            : throw new SettingsException($"--uplink: sslmode '{v}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        ["application_name"] = (b, v) => b.ApplicationName = v,
        ["connect_timeout"] = (b, v) => b.Timeout = PositiveSeconds("connect_timeout", v),
    };

    /// <summary>Parses the --uplink URL; a setting that cannot work throws <see cref="SettingsException"/> without echoing a password.</summary>
    public static UplinkTarget Parse(string url, string? passwordFile = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
            throw new SettingsException("--uplink must be a URL such as postgres://user:password@host:5432/database");
        if (string.IsNullOrEmpty(uri.Host))
            throw new SettingsException("--uplink names no host (postgres://user:password@HOST:5432/database)");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/'))
            throw new SettingsException("--uplink names no database (postgres://user:password@host:5432/DATABASE)");
        var userInfo = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo[0]);
        if (user.Length == 0) throw new SettingsException("--uplink names no user (postgres://USER:password@host:5432/database)");
        var password = userInfo.Length == 2 ? Uri.UnescapeDataString(userInfo[1]) : null;
        if (passwordFile is not null)
        {
            try
            {
                password = File.ReadAllText(passwordFile).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SettingsException($"--uplink-password-file '{passwordFile}' cannot be read: {e.Message}");
            }
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.IdnHost,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            Username = user,
            Password = password,
            ApplicationName = "edgecluster-uplink",
            Timeout = 10,
            CommandTimeout = 120,
            // One connection per member is all the uplink uses; no pool to keep warm on a Pi.
            Pooling = false,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            if (!QueryOptions.TryGetValue(key, out var apply))
                throw new SettingsException($"--uplink: unknown parameter '{key}' (known: {string.Join(", ", QueryOptions.Keys)})");
            apply(builder, value);
        }
        var display = $"postgres://{Uri.EscapeDataString(user)}@{uri.Authority.Split('@')[^1]}/{Uri.EscapeDataString(database)}";
        return new UplinkTarget(builder.ConnectionString, display);
    }

    private static int PositiveSeconds(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new SettingsException($"--uplink: {name} '{value}' must be a positive number of seconds");
}
