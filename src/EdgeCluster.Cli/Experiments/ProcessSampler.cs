namespace EdgeCluster.Cli.Experiments;

/// <summary>One look at a member's process: resident memory and open file descriptors.</summary>
public sealed record ResourceSample(double At, string Member, int Pid, double RssMiB, int Fds);

/// <summary>
/// Samples the resident set and the open file descriptors of each node process of the lab every few seconds, from
/// /proc (Linux). A restarted member is a new process and a new series.
/// </summary>
public sealed class ProcessSampler(Func<IReadOnlyDictionary<string, int>> pids, Func<double> now, TimeSpan every)
{
    private readonly List<ResourceSample> _samples = new();

    public IReadOnlyList<ResourceSample> Samples
    {
        get { lock (_samples) return _samples.ToList(); }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var (member, pid) in pids())
                if (Read(pid) is { } s)
                    lock (_samples) _samples.Add(new ResourceSample(now(), member, pid, s.RssMiB, s.Fds));
            try { await Task.Delay(every, stop); }
            catch (TaskCanceledException) { return; }
        }
    }

    /// <summary>VmRSS and the fd count of a running process; null once it is gone (or off Linux).</summary>
    public static (double RssMiB, int Fds)? Read(int pid)
    {
        try
        {
            var rssLine = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            if (rssLine is null) return null; // a zombie has no memory left
            var kb = double.Parse(rssLine["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return (kb / 1024, Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>How one process's memory and descriptors moved: after its first <see cref="ResourceCheck.Settle"/> seconds, against its last minute.</summary>
public sealed record ResourceGrowth(string Member, int Pid, double LivedS, double PeakRssMiB, int PeakFds, double? SettledRssMiB,
    double? FinalRssMiB, double? SettledFds, double? FinalFds)
{
    public double? RssGrowth => SettledRssMiB is { } a && FinalRssMiB is { } b ? b / a - 1 : null;
    public double? FdGrowth => SettledFds is { } a && FinalFds is { } b ? b / a - 1 : null;
}

/// <summary>
/// The soak's leak check, a pure function of the samples: per process, the median of the minute after its first five
/// minutes against the median of its last minute; more than 20 % growth of either fails. A process that lived less
/// than six minutes is reported and not judged.
/// </summary>
public static class ResourceCheck
{
    public const double Settle = 300;
    public const double Window = 60;
    public const double AllowedGrowth = 0.20;

    public static IReadOnlyList<ResourceGrowth> Growth(IReadOnlyList<ResourceSample> samples) =>
        samples.GroupBy(s => (s.Member, s.Pid)).Select(g =>
        {
            var list = g.OrderBy(s => s.At).ToList();
            var start = list[0].At;
            var end = list[^1].At;
            var lived = end - start;
            var judged = lived >= Settle + 2 * Window;
            var settled = list.Where(s => s.At >= start + Settle && s.At < start + Settle + Window).ToList();
            var last = list.Where(s => s.At > end - Window).ToList();
            return new ResourceGrowth(g.Key.Member, g.Key.Pid, lived, list.Max(s => s.RssMiB), list.Max(s => s.Fds),
                judged ? Median(settled.Select(s => s.RssMiB)) : null, judged ? Median(last.Select(s => s.RssMiB)) : null,
                judged ? Median(settled.Select(s => (double)s.Fds)) : null, judged ? Median(last.Select(s => (double)s.Fds)) : null);
        }).OrderBy(g => g.Member).ThenBy(g => g.Pid).ToList();

    public static bool Grew(ResourceGrowth g) => g.RssGrowth > AllowedGrowth || g.FdGrowth > AllowedGrowth;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
