using System.Globalization;
using System.Text;
using EdgeCluster.Contracts;

namespace EdgeCluster.Node.Http;

/// <summary>
/// A device's readings as CSV with a header row, written row by row as the read model yields them (nothing buffered
/// whole), so a download of any size costs the node one row of memory: <c>pandas.read_csv(url)</c> takes it as it is.
/// </summary>
public sealed class CsvReadings(IEnumerable<ReadingView> rows, string fileName) : IResult
{
    public const string Header = "reading_id,device_id,timestamp,received_at,temperature,humidity,seq,origin_node,origin_seq";

    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), bufferSize: 16 * 1024);
        await writer.WriteAsync(Header + "\n");
        foreach (var r in rows)
        {
            await writer.WriteAsync(string.Join(',',
                r.ReadingId.ToString(CultureInfo.InvariantCulture), r.DeviceId.ToString(CultureInfo.InvariantCulture), r.Timestamp, r.ReceivedAt,
                r.Temperature.ToString("R", CultureInfo.InvariantCulture), r.Humidity.ToString("R", CultureInfo.InvariantCulture),
                r.Seq?.ToString(CultureInfo.InvariantCulture) ?? "", Quote(r.OriginNode), r.OriginSeq.ToString(CultureInfo.InvariantCulture)) + "\n");
        }
    }

    /// <summary>Node names are letters, digits, '-', '_' and '.', but a field with a comma or quote would be quoted.</summary>
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"") + "\"";
}
