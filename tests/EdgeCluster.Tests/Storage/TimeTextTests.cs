using EdgeCluster.Storage;

namespace EdgeCluster.Tests.Storage;

public class TimeTextTests
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
}
