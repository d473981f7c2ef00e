using System.Globalization;
using EdgeCluster.Storage;

namespace EdgeCluster.Tests.Storage;

public sealed class TimeTextTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1_780_315_140_123L)]
    [InlineData(1_582_934_400_999L)]
    [InlineData(4_102_444_799_000L)]
    public void Stored_times_read_back_to_the_same_millisecond(long ms)
    {
        var text = TimeText.FromUnixMs(ms);
        Assert.Equal(24, text.Length);
        Assert.Equal(ms, TimeText.ToUnixMs(text));
    }

    [Fact]
    public void Text_that_is_not_a_stored_time_is_refused() =>
        Assert.Throws<FormatException>(() => TimeText.ToUnixMs("2026-1x-27T10:00:00.000Z"));

    [Fact]
    public void A_time_is_written_as_the_general_formatter_writes_it_and_read_back_to_the_same_millisecond()
    {
        var random = new Random(7);
        long[] edges = [0, 1, 999, 1_000, -1, -86_400_000, 1_780_000_000_500, 253_402_300_799_999, -62_135_596_800_000];
        var samples = edges.Concat(Enumerable.Range(0, 10_000).Select(_ => random.NextInt64(-62_135_596_800_000, 253_402_300_800_000)));
        foreach (var ms in samples)
        {
            var expected = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var text = TimeText.FromUnixMs(ms);
            Assert.Equal(expected, text);
            Assert.Equal(ms, TimeText.ToUnixMs(text));
        }
    }
}
