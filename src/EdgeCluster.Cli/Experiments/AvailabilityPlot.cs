using System.Globalization;
using System.Net;
using System.Text;

namespace EdgeCluster.Cli.Experiments;

/// <summary>The report's plots: availability per member and second, and the processes' memory; the faults shaded and named.</summary>
public static class AvailabilityPlot
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];

    /// <summary>Share of eventual (solid) and strong (dashed) writes acknowledged per second and member; the faults are shaded.</summary>
    public static string Svg(IReadOnlyDictionary<string, List<double?>> eventual, IReadOnlyDictionary<string, List<double?>> strong, IReadOnlyList<Window> windows, int seconds)
    {
        int w = Width(seconds), h = 300, left = 50, right = 130, top = 20, bottom = 40;
        var plotW = w - left - right;
        var plotH = h - top - bottom;
        double X(double s) => left + s / Math.Max(1, seconds) * plotW;
        double Y(double v) => top + (1 - v) * plotH;
        var colors = Colors;
        var svg = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        svg.AppendLine(FormattableString.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Faults(svg, windows, X, top, plotH);
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        foreach (var v in new[] { 0.0, 0.5, 1.0 })
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v * 100:0}%</text>"));
        for (var s = 0; s <= seconds; s += Math.Max(1, seconds / 10))
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{X(s):0.0}\" y=\"{top + plotH + 15}\" text-anchor=\"middle\">{s}s</text>"));
        svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW / 2}\" y=\"{h - 5}\" text-anchor=\"middle\">writes acknowledged per second (solid eventual, dashed strong; shaded: faults)</text>"));
        var i = 0;
        foreach (var (member, series) in eventual)
        {
            var color = colors[i % colors.Length];
            foreach (var (values, dash) in new[] { (series, ""), (strong[member], " stroke-dasharray=\"4 3\"") })
            {
                var points = string.Join(" ", values.Select((v, s) => v is null ? null : string.Format(inv, "{0:0.0},{1:0.0}", X(s + 0.5), Y(v.Value))).Where(p => p is not null));
                if (points.Length > 0) svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} points=\"{points}\"/>");
            }
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW + 10}\" y=\"{top + 15 + i * 15}\" fill=\"{color}\">{WebUtility.HtmlEncode(member)}</text>"));
            i++;
        }
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>Each process's resident memory over the run (a restarted member starts a new line); the faults are shaded.</summary>
    public static string Resources(IReadOnlyList<ResourceSample> samples, IReadOnlyList<Window> windows, int seconds)
    {
        int w = Width(seconds), h = 300, left = 60, right = 130, top = 20, bottom = 40;
        var plotW = w - left - right;
        var plotH = h - top - bottom;
        var max = Math.Max(1, samples.Max(s => s.RssMiB) * 1.1);
        double X(double s) => left + s / Math.Max(1, seconds) * plotW;
        double Y(double v) => top + (1 - v / max) * plotH;
        var svg = new StringBuilder();
        svg.AppendLine(FormattableString.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        Faults(svg, windows, X, top, plotH);
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        foreach (var v in new[] { 0, max / 2, max / 1.1 })
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v:0} MiB</text>"));
        for (var s = 0; s <= seconds; s += Math.Max(1, seconds / 10))
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{X(s):0.0}\" y=\"{top + plotH + 15}\" text-anchor=\"middle\">{s}s</text>"));
        svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW / 2}\" y=\"{h - 5}\" text-anchor=\"middle\">resident memory per node process (a restart starts a new line; shaded: faults)</text>"));
        var members = samples.Select(s => s.Member).Distinct().Order().ToList();
        foreach (var series in samples.GroupBy(s => (s.Member, s.Pid)))
        {
            var color = Colors[members.IndexOf(series.Key.Member) % Colors.Length];
            var points = string.Join(" ", series.OrderBy(s => s.At).Select(s => string.Format(CultureInfo.InvariantCulture, "{0:0.0},{1:0.0}", X(s.At), Y(s.RssMiB))));
            svg.AppendLine($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{points}\"/>");
        }
        for (var i = 0; i < members.Count; i++)
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW + 10}\" y=\"{top + 15 + i * 15}\" fill=\"{Colors[i % Colors.Length]}\">{WebUtility.HtmlEncode(members[i])}</text>"));
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>A long run gets a wider plot, so that each fault stays visible.</summary>
    private static int Width(int seconds) => Math.Clamp(seconds * 3 / 5 + 180, 760, 2400);

    /// <summary>The faults, shaded by kind and named at their top: network cuts grey, kills red, pauses yellow, restarts blue.</summary>
    private static void Faults(StringBuilder svg, IReadOnlyList<Window> windows, Func<double, double> x, int top, int plotH)
    {
        foreach (var win in windows)
        {
            var fill = win.Nemesis switch { NemesisKind.Kill => "#fdd", NemesisKind.Pause => "#ffe9a8", NemesisKind.Restart => "#dde8ff", _ => "#eee" };
            var label = WebUtility.HtmlEncode($"{win.Nemesis.Name()} {string.Join(",", win.Minority)}");
            svg.AppendLine(FormattableString.Invariant($"<rect x=\"{x(win.From):0.0}\" y=\"{top}\" width=\"{Math.Max(1, x(win.To) - x(win.From)):0.0}\" height=\"{plotH}\" fill=\"{fill}\"><title>{label} {win.From:0.0}–{win.To:0.0} s</title></rect>"));
            svg.AppendLine(FormattableString.Invariant($"<text font-size=\"9\" fill=\"#555\" transform=\"translate({x(win.From) + 8:0.0},{top + 4}) rotate(90)\">{label}</text>"));
        }
    }
}
