using EdgeCluster.Domain.Inference;

namespace EdgeCluster.Tests.Inference;

public class ModelTests
{
    private static List<Sample> Series(params double[] oldestFirst) =>
        oldestFirst.Select((t, i) => new Sample(1_780_000_000_000 + i * 60_000L, t)).Reverse().ToList();

    [Fact]
    public void The_anomaly_model_applies_the_labs_two_sigma_rule_to_the_latest_reading()
    {
        var normal = Enumerable.Repeat(new[] { 20.0, 21.0 }, 20).SelectMany(x => x).ToArray();
        var result = new AnomalyModel().Run(1, Series([.. normal, 20.5]))!;
        Assert.Equal(0, result.Values["anomaly"]);
        Assert.Equal(20.5, result.Values["mean"]);
        Assert.Equal(0.5, result.Values["std"]);

        var spike = new AnomalyModel().Run(1, Series([.. normal, 25.0]))!;
        Assert.Equal(1, spike.Values["anomaly"]);
        Assert.Equal(9.0, spike.Values["z_score"]);
        Assert.StartsWith("anomaly:", spike.Summary);
    }

    [Fact]
    public void The_anomaly_model_uses_only_its_window_and_needs_some_history()
    {
        var model = new AnomalyModel(window: 4);
        var result = model.Run(1, Series(100, 100, 100, 20, 21, 20, 21, 20.5))!;
        Assert.Equal(20.5, result.Values["mean"]);
        Assert.Equal(4, result.Values["window"]);
        Assert.Null(model.Run(1, Series(20, 21)));
    }

    [Fact]
    public void The_forecast_model_extends_a_least_squares_line_one_hour()
    {
        // One reading a minute, rising 0.01 °C a minute: 0.6 °C an hour, exactly on the line.
        var rising = Enumerable.Range(0, 60).Select(i => 20 + 0.01 * i).ToArray();
        var result = new ForecastModel().Run(1, Series(rising))!;
        Assert.Equal(0.6, result.Values["slope_per_hour"], 6);
        Assert.Equal(20.59 + 0.6, result.Values["predicted"], 2);
        Assert.Equal(0, result.Values["rmse"], 6);
    }

    [Fact]
    public void The_forecast_model_says_nothing_of_readings_seconds_apart()
    {
        var burst = Enumerable.Range(0, 10).Select(i => new Sample(1_780_000_000_000 + i * 1_000L, 20 + i)).Reverse().ToList();
        Assert.Null(new ForecastModel().Run(1, burst));
    }

    [Fact]
    public void The_forecast_error_grows_with_scatter_around_the_trend()
    {
        var noisy = Enumerable.Range(0, 60).Select(i => 20 + (i % 2 == 0 ? 1.0 : -1.0)).ToArray();
        var result = new ForecastModel().Run(1, Series(noisy))!;
        Assert.Equal(1.0, result.Values["rmse"], 2);
        Assert.Equal(20.0, result.Values["predicted"], 0);
    }
}
