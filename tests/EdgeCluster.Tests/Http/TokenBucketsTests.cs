using EdgeCluster.Node.Http;

namespace EdgeCluster.Tests.Http;

/// <summary>The ingest doors' token buckets on a clock the test moves: burst, rate, the wait they answer, idle buckets dropped.</summary>
public sealed class TokenBucketsTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; } = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Ticks;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void A_new_key_gets_its_burst_then_the_rate_and_is_told_how_long_to_wait()
    {
        var clock = new ManualClock();
        using var buckets = new TokenBuckets<string>(perSecond: 10, burst: 20, clock);
        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => buckets.Take("a", 1) is null));
        Assert.Equal(TimeSpan.FromSeconds(0.1), buckets.Take("a", 1));
        Assert.Null(buckets.Take("b", 20));  // keys do not share
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(5, Enumerable.Range(0, 10).Count(_ => buckets.Take("a", 1) is null));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(20, Enumerable.Range(0, 30).Count(_ => buckets.Take("a", 1) is null));  // never more than the burst
        Assert.Equal(TimeSpan.FromSeconds(2), buckets.Take("a", 25));  // more than the burst: as long as a full bucket takes
    }

    [Fact]
    public void Only_full_buckets_idle_for_a_minute_are_dropped_so_a_burst_never_meets_two_buckets()
    {
        var clock = new ManualClock();
        using var buckets = new TokenBuckets<int>(perSecond: 1, burst: 100, clock);
        Assert.Null(buckets.Take(1, 100));
        Assert.Null(buckets.Take(2, 1));
        clock.Advance(TimeSpan.FromSeconds(61));
        buckets.Sweep();
        // Device 2's bucket is full again and idle: dropped. Device 1's is not full yet (61 of 100): kept, still empty-ish.
        Assert.Equal(1, buckets.Count);
        Assert.Equal(61, Enumerable.Range(0, 200).Count(_ => buckets.Take(1, 1) is null));
    }
}
