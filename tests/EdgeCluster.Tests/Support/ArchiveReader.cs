using System.Text.Json.Serialization;
using Parquet;
using Parquet.Serialization;

namespace EdgeCluster.Tests.Support;

/// <summary>Reads a node's retention archive the way a user's tools would: by column name, with Parquet.Net's own reader.</summary>
public static class ArchiveReader
{
    /// <summary>The archive's columns as a pandas user names them, read by Parquet.Net's deserializer (not the node's own row class).</summary>
    public sealed class ArchivedRow
    {
        [JsonPropertyName("reading_id")] public long ReadingId { get; set; }
        [JsonPropertyName("device_id")] public int DeviceId { get; set; }
        [JsonPropertyName("timestamp")] public DateTime Timestamp { get; set; }
        [JsonPropertyName("temperature")] public double Temperature { get; set; }
        [JsonPropertyName("seq")] public long? Seq { get; set; }
    }

    public sealed record Archived(long ReadingId, int DeviceId, long TimestampMs, double Temperature, long Seq);

    /// <summary>Every row of every Parquet file under <paramref name="folder"/>.</summary>
    public static async Task<List<Archived>> ReadAsync(string folder)
    {
        var rows = new List<Archived>();
        foreach (var file in Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories))
        {
            var schema = await ParquetReader.ReadSchemaAsync(file);
            Assert.Equal(["reading_id", "device_id", "timestamp", "received_at", "temperature", "humidity", "seq", "origin_node", "origin_seq", "superseded"],
                schema.GetDataFields().Select(f => f.Name));
            foreach (var row in (await ParquetSerializer.DeserializeAsync<ArchivedRow>(file)).Data)
                rows.Add(new Archived(row.ReadingId, row.DeviceId,
                    new DateTimeOffset(DateTime.SpecifyKind(row.Timestamp, DateTimeKind.Utc)).ToUnixTimeMilliseconds(), row.Temperature, row.Seq!.Value));
        }
        return rows;
    }
}
