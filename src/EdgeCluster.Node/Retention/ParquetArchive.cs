using EdgeCluster.Storage;
using Parquet;
using Parquet.Schema;

namespace EdgeCluster.Node.Retention;

/// <summary>
/// Raw readings leaving the hot tier, kept at full resolution in Parquet files under <c>&lt;data-dir&gt;/archive/</c>:
/// one folder per UTC day of the readings' device time, one file per expired chunk of an origin's stream, named by that
/// range (<c>&lt;origin&gt;-&lt;from&gt;-&lt;through&gt;.parquet</c>). A file is written to a temporary name, flushed to disk and renamed,
/// so a file that exists is whole; <c>pandas.read_parquet("archive/")</c> reads them all.
/// </summary>
public sealed class ParquetArchive(string directory)
{
    private static readonly DataField ReadingId = new("reading_id", typeof(long), false);
    private static readonly DataField DeviceId = new("device_id", typeof(int), false);
    private static readonly DataField Timestamp = new DateTimeDataField("timestamp", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis, false);
    private static readonly DataField ReceivedAt = new DateTimeDataField("received_at", DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis, false);
    private static readonly DataField Temperature = new("temperature", typeof(double), false);
    private static readonly DataField Humidity = new("humidity", typeof(double), false);
    private static readonly DataField Seq = new("seq", typeof(long), true);
    private static readonly DataField OriginNode = new("origin_node", typeof(string), false);
    private static readonly DataField OriginSeq = new("origin_seq", typeof(long), false);
    private static readonly DataField Superseded = new("superseded", typeof(bool), false);

    /// <summary>The read model's columns; times are UTC timestamps in milliseconds.</summary>
    public static readonly ParquetSchema Schema =
        new(ReadingId, DeviceId, Timestamp, ReceivedAt, Temperature, Humidity, Seq, OriginNode, OriginSeq, Superseded);

    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Zstd, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest };

    public string Directory => directory;

    /// <summary>Writes the chunk's readings to their file, column by column in one row group; returns its path.</summary>
    public async Task<string> WriteAsync(ExpiredChunk chunk, CancellationToken cancel)
    {
        var day = chunk.Readings[0].Timestamp[..10];
        var folder = Path.Combine(directory, day);
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{chunk.OriginNode}-{chunk.FromSeq:D12}-{chunk.Through:D12}.parquet");
        var temporary = path + ".tmp";
        var rows = chunk.Readings;
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            await using (var writer = await ParquetWriter.CreateAsync(Schema, file, Options, cancellationToken: cancel))
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<long>(ReadingId, rows.Select(r => r.ReadingId).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<int>(DeviceId, rows.Select(r => r.DeviceId).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<DateTime>(Timestamp, rows.Select(r => Utc(r.Timestamp)).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<DateTime>(ReceivedAt, rows.Select(r => Utc(r.ReceivedAt)).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<double>(Temperature, rows.Select(r => r.Temperature).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<double>(Humidity, rows.Select(r => r.Humidity).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<long>(Seq, rows.Select(r => r.Seq).ToArray(), cancellationToken: cancel);
                await group.WriteAsync(OriginNode, rows.Select(r => r.OriginNode).ToArray());
                await group.WriteAsync<long>(OriginSeq, rows.Select(r => r.OriginSeq).ToArray(), cancellationToken: cancel);
                await group.WriteAsync<bool>(Superseded, rows.Select(r => r.Superseded).ToArray(), cancellationToken: cancel);
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static DateTime Utc(string time) => DateTime.UnixEpoch.AddMilliseconds(TimeText.ToUnixMs(time));

    /// <summary>Files and bytes archived, and the oldest day folder.</summary>
    public (int Files, long Bytes, string? OldestDay) Usage()
    {
        if (!System.IO.Directory.Exists(directory)) return (0, 0, null);
        var files = new DirectoryInfo(directory).EnumerateFiles("*.parquet", SearchOption.AllDirectories).ToList();
        var oldest = new DirectoryInfo(directory).EnumerateDirectories().Select(d => d.Name).Order(StringComparer.Ordinal).FirstOrDefault();
        return (files.Count, files.Sum(f => f.Length), oldest);
    }

    /// <summary>Removes temporary files a crash left behind (their chunk was not deleted from the read model, so it is written again).</summary>
    public void RemoveTemporaryFiles()
    {
        if (!System.IO.Directory.Exists(directory)) return;
        foreach (var file in System.IO.Directory.EnumerateFiles(directory, "*.tmp", SearchOption.AllDirectories)) File.Delete(file);
    }
}
