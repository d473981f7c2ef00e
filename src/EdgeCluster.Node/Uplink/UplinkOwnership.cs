using System.Security.Cryptography;
using System.Text;

namespace EdgeCluster.Node.Uplink;

/// <summary>
/// Who uploads which origin's stream. Each member uploads its own origin (it has every reading of it first); an origin
/// whose member this member does not see Up and reachable (killed, partitioned away, gone for good) is taken over by one
/// live member, chosen by rendezvous hashing over the members this member sees live, itself included, from the copy
/// replication gave it. Views differ for a while around a change, so two members may upload one origin at once: the
/// cloud's cursor lock makes them take turns and the unique (origin, origin seq) key makes a re-send a no-op, so the
/// choice decides only who does the work, never whether a reading arrives once.
/// </summary>
public static class UplinkOwnership
{
    /// <summary>The key of the device registry, which one live member uploads.</summary>
    public const string DevicesKey = "#devices";

    /// <param name="live">Node names of the members this member sees Up and reachable (itself may be among them).</param>
    public static bool UploadsHere(string origin, string self, IReadOnlyCollection<string> live) =>
        origin == self || (!live.Contains(origin) && Winner(origin, live.Append(self)) == self);

    /// <summary>The candidate with the highest hash of (key, candidate): every member with the same view picks the same one.</summary>
    public static string Winner(string key, IEnumerable<string> candidates) =>
        candidates.Distinct(StringComparer.Ordinal)
            .OrderByDescending(c => Score(key, c))
            .ThenBy(c => c, StringComparer.Ordinal)
            .First();

    private static ulong Score(string key, string candidate) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(key + "\n" + candidate)), 0);
}
