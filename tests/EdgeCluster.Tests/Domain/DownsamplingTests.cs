using EdgeCluster.Domain.Analytics;

namespace EdgeCluster.Tests.Domain;

public sealed class DownsamplingTests
{
    private static readonly double[] Values = [0, 3, 1, 8, 2, 2, 9, 4, 0, 5, 1, 7];
    private static IReadOnlyList<SeriesPoint> Data => Values.Select((v, i) => new SeriesPoint(i * 10, v)).ToList();

    /// <summary>Expected points computed by an independent implementation of Steinarsson's pseudo-code (Python, kept in the note).</summary>
    [Theory]
    [InlineData(5, new long[] { 0, 30, 40, 100, 110 })]
    [InlineData(4, new long[] { 0, 30, 80, 110 })]
    public void Lttb_keeps_the_points_the_reference_keeps(int threshold, long[] times)
    {
        var sampled = Downsampling.Lttb(Data, threshold);
        Assert.Equal(times, sampled.Select(p => p.TimeMs));
        Assert.Equal(times.Select(t => Values[t / 10]), sampled.Select(p => p.Value));
    }

    [Fact]
    public void Lttb_of_fewer_points_than_asked_is_the_series_itself_and_a_big_series_keeps_its_ends_and_peak()
    {
        Assert.Equal(Data, Downsampling.Lttb(Data, 50));
        var big = Enumerable.Range(0, 100_000).Select(i => new SeriesPoint(i * 1000L, i == 54_321 ? 99 : Math.Sin(i / 500.0))).ToList();
        var sampled = Downsampling.Lttb(big, 1000);
        Assert.Equal(1000, sampled.Count);
        Assert.Equal(big[0], sampled[0]);
        Assert.Equal(big[^1], sampled[^1]);
        Assert.Contains(big[54_321], sampled);
        Assert.True(sampled.Zip(sampled.Skip(1)).All(p => p.Item1.TimeMs < p.Item2.TimeMs));
    }

    [Theory]
    [InlineData(DownsampleMethod.Avg)]
    [InlineData(DownsampleMethod.MinMax)]
    public void Bucket_methods_stay_within_the_limit_in_time_order_with_the_ends_kept(DownsampleMethod method)
    {
        var big = Enumerable.Range(0, 10_000).Select(i => new SeriesPoint(i * 1000L, i % 97)).ToList();
        var sampled = Downsampling.Apply(big, 200, method);
        Assert.InRange(sampled.Count, 100, 200);
        Assert.Equal(big[0], sampled[0]);
        Assert.Equal(big[^1], sampled[^1]);
        Assert.True(sampled.Zip(sampled.Skip(1)).All(p => p.Item1.TimeMs < p.Item2.TimeMs));
        if (method == DownsampleMethod.MinMax) Assert.Contains(sampled, p => p.Value == 96);
    }
}
