namespace EdgeCluster.Domain.Inference;

/// <summary>A point of a device's history: device time (Unix ms) and temperature.</summary>
public readonly record struct Sample(long TimeMs, double Temperature);

/// <summary>What a model computed, as named values the API shows as they are.</summary>
public sealed record ModelResult(string ModelType, int DeviceId, IReadOnlyDictionary<string, double> Values, string Summary);

/// <summary>A computation on a device's replicated readings. A lab adds its own by implementing this and registering it.</summary>
public interface IInferenceModel
{
    string ModelType { get; }

    /// <summary>How many of the device's newest readings the model wants.</summary>
    int Window { get; }

    /// <summary>Runs on the newest readings, newest first; null when there are too few to say anything.</summary>
    ModelResult? Run(int deviceId, IReadOnlyList<Sample> newestFirst);
}

/// <summary>The lab's 2σ rule: is the latest reading more than <c>threshold</c> standard deviations from the window before it?</summary>
public sealed class AnomalyModel(int window = 50, double threshold = 2.0) : IInferenceModel
{
    public string ModelType => "anomaly";
    public int Window => window + 1;

    public ModelResult? Run(int deviceId, IReadOnlyList<Sample> newestFirst)
    {
        if (newestFirst.Count < 3) return null;
        var latest = newestFirst[0].Temperature;
        var history = newestFirst.Skip(1).Take(window).Select(s => s.Temperature).ToList();
        var mean = history.Average();
        var std = Math.Sqrt(history.Sum(t => (t - mean) * (t - mean)) / history.Count);
        var z = std == 0 ? (latest == mean ? 0 : double.PositiveInfinity * Math.Sign(latest - mean)) : (latest - mean) / std;
        var anomaly = Math.Abs(z) > threshold;
        return new ModelResult(ModelType, deviceId, new Dictionary<string, double>
        {
            ["latest"] = latest, ["mean"] = Math.Round(mean, 3), ["std"] = Math.Round(std, 3),
            ["z_score"] = double.IsFinite(z) ? Math.Round(z, 3) : z, ["anomaly"] = anomaly ? 1 : 0, ["window"] = history.Count,
        }, anomaly
            ? $"anomaly: {latest} is {Math.Abs(z):F2} standard deviations from the mean {mean:F2} of the last {history.Count} readings"
            : $"normal: {latest} is within {threshold} standard deviations of the mean {mean:F2}");
    }
}

/// <summary>
/// A least-squares line through the window's temperatures over time, extended one hour past the
/// newest reading. Readings spanning less than <c>minimumSpan</c> say nothing about an hour ahead.
/// </summary>
public sealed class ForecastModel(int window = 60, TimeSpan? minimumSpan = null) : IInferenceModel
{
    public string ModelType => "forecast";
    public int Window => window;

    public ModelResult? Run(int deviceId, IReadOnlyList<Sample> newestFirst)
    {
        var points = newestFirst.Take(window).ToList();
        if (points.Count < 3) return null;
        if (points[0].TimeMs - points[^1].TimeMs < (minimumSpan ?? TimeSpan.FromMinutes(5)).TotalMilliseconds) return null;
        var t0 = points[0].TimeMs;
        var xs = points.Select(p => (p.TimeMs - t0) / 3_600_000.0).ToList();
        var ys = points.Select(p => p.Temperature).ToList();
        var mx = xs.Average();
        var my = ys.Average();
        var sxx = xs.Sum(x => (x - mx) * (x - mx));
        var slope = sxx == 0 ? 0 : xs.Zip(ys).Sum(p => (p.First - mx) * (p.Second - my)) / sxx;
        var intercept = my - slope * mx;
        var rmse = Math.Sqrt(xs.Zip(ys).Sum(p => Math.Pow(p.Second - (intercept + slope * p.First), 2)) / points.Count);
        var predicted = intercept + slope * 1.0;
        return new ModelResult(ModelType, deviceId, new Dictionary<string, double>
        {
            ["slope_per_hour"] = Math.Round(slope, 4), ["predicted"] = Math.Round(predicted, 2), ["rmse"] = Math.Round(rmse, 3),
            ["predicted_at_ms"] = t0 + 3_600_000, ["window"] = points.Count,
        }, $"next hour: {predicted:F2} (trend {slope:+0.00;-0.00} per hour, error ±{rmse:F2})");
    }
}
