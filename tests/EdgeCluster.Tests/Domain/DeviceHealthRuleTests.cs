using EdgeCluster.Domain.Analytics;

namespace EdgeCluster.Tests.Domain;

public class DeviceHealthRuleTests
{
    [Fact]
    public void The_learned_interval_is_the_median_gap_of_recent_readings()
    {
        Assert.Null(DeviceHealth.LearnedIntervalMs([0, 60_000]));
        Assert.Equal(60_000, DeviceHealth.LearnedIntervalMs([0, 60_000, 120_000, 125_000, 185_000]));
    }

    [Fact]
    public void A_board_that_posts_faster_than_once_a_second_is_expected_once_a_second()
    {
        long[] burst = [0, 10, 20, 30, 40];
        var interval = DeviceHealth.LearnedIntervalMs(burst);
        Assert.Equal(DeviceHealth.MinIntervalMs, interval);
        // 300 ms after its last reading it is still online, not late after 20 ms and offline after 50.
        Assert.Equal(DeviceHealth.Online, DeviceHealth.Status(40, interval, 340));
        Assert.Equal(DeviceHealth.Late, DeviceHealth.Status(40, interval, 2_100));
        Assert.Equal(DeviceHealth.Offline, DeviceHealth.Status(40, interval, 5_100));
    }
}
