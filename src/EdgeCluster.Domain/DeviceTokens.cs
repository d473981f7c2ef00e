using System.Security.Cryptography;
using System.Text;

namespace EdgeCluster.Domain;

/// <summary>
/// Device tokens: 192 random bits, shown once when a device is registered (or its token rotated). Only the SHA-256 of a
/// token is stored and replicated with the registry: a token is random, not a password, so one unsalted hash keeps a
/// stolen devices table from giving tokens away without slowing a Pi down. Compared in constant time.
/// </summary>
public static class DeviceTokens
{
    /// <summary>A new token: 24 random bytes as 32 URL-safe characters (it goes in an Arduino query string as it is).</summary>
    public static string New() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>The stored form: lower-case hex SHA-256 of the token's UTF-8.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether <paramref name="token"/> is the one whose hash is <paramref name="hash"/>; false for either missing.</summary>
    public static bool Matches(string? token, string? hash)
    {
        if (string.IsNullOrEmpty(token) || hash is not { Length: 64 }) return false;
        Span<byte> given = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), given);
        Span<byte> stored = stackalloc byte[32];
        return Convert.FromHexString(hash, stored, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32
            && CryptographicOperations.FixedTimeEquals(given, stored);
    }
}
