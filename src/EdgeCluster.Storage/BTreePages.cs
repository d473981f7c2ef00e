using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Storage;

/// <summary>
/// Bytes on disk of each table of a SQLite file with its indexes, counted by walking the b-trees in the file from the
/// root pages <c>sqlite_schema</c> names. What SQLite's <c>dbstat</c> table gives, which the SQLite build that
/// Microsoft.Data.Sqlite ships does not include. A passive checkpoint first brings what the WAL holds into the file
/// (without waiting for anyone); pages a writer changes meanwhile can make the figure slightly off, never the walk
/// fail: every page number is checked against the file, every page is counted once, and a page that does not look like
/// a b-tree page ends its branch. Only interior pages are read (leaves are counted from their parents). Overflow pages (rows over ~4 KB: none in the read model) are not counted.
/// </summary>
public static class BTreePages
{
    /// <summary>Bytes of each table (by <c>tbl_name</c>: its rows and all its indexes), <c>sqlite_schema</c> included.</summary>
    public static IReadOnlyDictionary<string, long> BytesByTable(SqliteConnection connection, string path)
    {
        var roots = new List<(string Table, long Root)> { ("sqlite_schema", 1) };
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0";
            using var r = cmd.ExecuteReader();
            while (r.Read()) roots.Add((r.GetString(0), r.GetInt64(1)));
        }
        long pageSize;
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "PRAGMA page_size";
            pageSize = (long)cmd.ExecuteScalar()!;
        }
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
            cmd.ExecuteNonQuery();
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var pages = file.Length / pageSize;
        var page = new byte[pageSize];
        var seen = new HashSet<long>();
        var bytes = new Dictionary<string, long>();
        foreach (var (table, root) in roots)
        {
            // Level by level. Every leaf of a b-tree is at the same depth, so once the first page of a level is a leaf,
            // the rest of that level is counted without being read: a walk reads the interior pages alone (~1 % of a
            // file of small rows), not the whole file.
            var level = new List<long> { root };
            while (level.Count > 0)
            {
                level = level.Where(n => n >= 1 && n <= pages && seen.Add(n)).ToList();
                if (level.Count == 0) break;
                if (TypeOf(file, page, pageSize, level[0]) is 10 or 13)
                {
                    bytes[table] = bytes.GetValueOrDefault(table) + level.Count * pageSize;
                    break;
                }
                var next = new List<long>();
                foreach (var number in level)
                {
                    var header = number == 1 ? 100 : 0;
                    var type = TypeOf(file, page, pageSize, number);
                    if (type is not (2 or 5 or 10 or 13)) continue;
                    bytes[table] = bytes.GetValueOrDefault(table) + pageSize;
                    if (type is 10 or 13) continue;
                    // Interior page: a child in the first four bytes of every cell, and the right-most child in the header.
                    var cells = BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(header + 3));
                    for (var i = 0; i < cells; i++)
                    {
                        var at = header + 12 + 2 * i;
                        if (at + 2 > pageSize) break;
                        int cell = BinaryPrimitives.ReadUInt16BigEndian(page.AsSpan(at));
                        if (cell + 4 <= pageSize) next.Add(BinaryPrimitives.ReadUInt32BigEndian(page.AsSpan(cell)));
                    }
                    next.Add(BinaryPrimitives.ReadUInt32BigEndian(page.AsSpan(header + 8)));
                }
                level = next;
            }
        }
        return bytes;
    }

    /// <summary>Reads page <paramref name="number"/> into <paramref name="page"/>; its b-tree page type (2, 5, 10, 13; anything else: not one).</summary>
    private static byte TypeOf(FileStream file, byte[] page, long pageSize, long number)
    {
        file.Position = (number - 1) * pageSize;
        file.ReadExactly(page);
        return page[number == 1 ? 100 : 0];
    }
}
