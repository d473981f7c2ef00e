namespace EdgeCluster.Domain.Analytics;

/// <summary>A point of a chart series: time (Unix ms) and value.</summary>
public readonly record struct SeriesPoint(long TimeMs, double Value);

/// <summary>How a series is brought down to a chart's width.</summary>
public enum DownsampleMethod { Lttb, Avg, MinMax }

/// <summary>
/// Chart-ready series of at most N points, first and last kept. LTTB is Steinarsson's Largest-Triangle-Three-Buckets
/// (2013): one pass, O(n), keeping in each bucket the point that makes the largest triangle with the point kept before
/// it and the average of the next bucket, so peaks and troughs survive. Input must be in increasing time.
/// </summary>
public static class Downsampling
{
    public static IReadOnlyList<SeriesPoint> Apply(IReadOnlyList<SeriesPoint> points, int threshold, DownsampleMethod method) => method switch
    {
        DownsampleMethod.Lttb => Lttb(points, threshold),
        DownsampleMethod.Avg => Buckets(points, threshold, perBucket: 1),
        _ => Buckets(points, threshold, perBucket: 2),
    };

    public static IReadOnlyList<SeriesPoint> Lttb(IReadOnlyList<SeriesPoint> data, int threshold)
    {
        var n = data.Count;
        if (threshold >= n || n <= 2) return data;
        if (threshold < 3) return [data[0], data[n - 1]];
        var sampled = new List<SeriesPoint>(threshold) { data[0] };
        var every = (double)(n - 2) / (threshold - 2);
        var a = 0;
        for (var i = 0; i < threshold - 2; i++)
        {
            // The average of the next bucket is the triangle's third corner.
            var avgStart = (int)Math.Floor((i + 1) * every) + 1;
            var avgEnd = Math.Min((int)Math.Floor((i + 2) * every) + 1, n);
            double avgX = 0, avgY = 0;
            for (var j = avgStart; j < avgEnd; j++)
            {
                avgX += data[j].TimeMs;
                avgY += data[j].Value;
            }
            avgX /= avgEnd - avgStart;
            avgY /= avgEnd - avgStart;

            var from = (int)Math.Floor(i * every) + 1;
            var to = (int)Math.Floor((i + 1) * every) + 1;
            double pointX = data[a].TimeMs, pointY = data[a].Value;
            var maxArea = -1.0;
            var next = from;
            for (var j = from; j < to; j++)
            {
                var area = Math.Abs((pointX - avgX) * (data[j].Value - pointY) - (pointX - data[j].TimeMs) * (avgY - pointY)) * 0.5;
                if (area > maxArea)
                {
                    maxArea = area;
                    next = j;
                }
            }
            sampled.Add(data[next]);
            a = next;
        }
        sampled.Add(data[n - 1]);
        return sampled;
    }

    /// <summary>Equal buckets between the first and last point: their average (one point each) or their min and max (two).</summary>
    private static IReadOnlyList<SeriesPoint> Buckets(IReadOnlyList<SeriesPoint> data, int threshold, int perBucket)
    {
        var n = data.Count;
        if (threshold >= n || n <= 2) return data;
        var buckets = Math.Max(1, (threshold - 2) / perBucket);
        var result = new List<SeriesPoint>(threshold) { data[0] };
        var every = (double)(n - 2) / buckets;
        for (var b = 0; b < buckets; b++)
        {
            var start = (int)Math.Floor(b * every) + 1;
            var end = Math.Min((int)Math.Floor((b + 1) * every) + 1, n - 1);
            if (end <= start) continue;
            if (perBucket == 1)
            {
                double sumX = 0, sumY = 0;
                for (var j = start; j < end; j++)
                {
                    sumX += data[j].TimeMs;
                    sumY += data[j].Value;
                }
                result.Add(new SeriesPoint((long)(sumX / (end - start)), sumY / (end - start)));
            }
            else
            {
                var min = start;
                var max = start;
                for (var j = start; j < end; j++)
                {
                    if (data[j].Value < data[min].Value) min = j;
                    if (data[j].Value > data[max].Value) max = j;
                }
                // In time order, so the series stays increasing in x.
                if (min == max) result.Add(data[min]);
                else
                {
                    result.Add(data[Math.Min(min, max)]);
                    result.Add(data[Math.Max(min, max)]);
                }
            }
        }
        result.Add(data[n - 1]);
        return result;
    }
}
