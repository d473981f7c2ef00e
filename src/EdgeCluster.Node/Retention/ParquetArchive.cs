using System.Text.Json.Serialization;
using EdgeCluster.Storage;
using Parquet;
using Parquet.Serialization;
using Parquet.Serialization.Attributes;

namespace EdgeCluster.Node.Retention;

/// <summary>
/// Raw readings leaving the hot tier, kept at full resolution in Parquet files under <c>&lt;data-dir&gt;/archive/</c>:
/// one folder per UTC day of the readings' device time, one file per expired chunk of an origin's stream, named by that
/// range (<c>&lt;origin&gt;-&lt;from&gt;-&lt;through&gt;.parquet</c>). A file is written to a temporary name, flushed to disk and renamed,
/// so a file that exists is whole; <c>pandas.read_parquet("archive/")</c> reads them all.
/// </summary>
public sealed class ParquetArchive(string directory)
{
    /// <summary>One archived reading, with the read model's column names; times are UTC timestamps in milliseconds.</summary>
    public sealed class Row
    {
        [JsonPropertyName("reading_id")] public long ReadingId { get; set; }
        [JsonPropertyName("device_id")] public int DeviceId { get; set; }
        [JsonPropertyName("timestamp"), ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
        public DateTime Timestamp { get; set; }
        [JsonPropertyName("received_at"), ParquetTimestamp(ParquetTimestampResolution.Milliseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
        public DateTime ReceivedAt { get; set; }
        [JsonPropertyName("temperature")] public double Temperature { get; set; }
        [JsonPropertyName("humidity")] public double Humidity { get; set; }
        [JsonPropertyName("seq")] public long? Seq { get; set; }
        [JsonPropertyName("origin_node")] public string OriginNode { get; set; } = "";
        [JsonPropertyName("origin_seq")] public long OriginSeq { get; set; }
        [JsonPropertyName("superseded")] public bool Superseded { get; set; }
    }

    private static readonly ParquetOptions Options = new() { CompressionMethod = CompressionMethod.Zstd };

    public string Directory => directory;

    /// <summary>Writes the chunk's readings to their file; returns its path.</summary>
    public async Task<string> WriteAsync(ExpiredChunk chunk, CancellationToken cancel)
    {
        var day = chunk.Readings[0].Timestamp[..10];
        var folder = Path.Combine(directory, day);
        System.IO.Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{chunk.OriginNode}-{chunk.FromSeq:D12}-{chunk.Through:D12}.parquet");
        var temporary = path + ".tmp";
        var rows = chunk.Readings.Select(r => new Row
        {
            ReadingId = r.ReadingId,
            DeviceId = r.DeviceId,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(TimeText.ToUnixMs(r.Timestamp)).UtcDateTime,
            ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(TimeText.ToUnixMs(r.ReceivedAt)).UtcDateTime,
            Temperature = r.Temperature,
            Humidity = r.Humidity,
            Seq = r.Seq,
            OriginNode = r.OriginNode,
            OriginSeq = r.OriginSeq,
            Superseded = r.Superseded,
        });
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            await ParquetSerializer.SerializeAsync(rows, file, Options, cancellationToken: cancel);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }

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
