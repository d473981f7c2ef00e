using System.Globalization;
using System.Net;
using System.Text;

namespace EdgeCluster.Cli.Experiments;

/// <summary>The report's plot: availability per member and second, the cuts shaded.</summary>
public static class AvailabilityPlot
{
    /// <summary>Share of eventual (solid) and strong (dashed) writes acknowledged per second and member; the cut is shaded.</summary>
    public static string Svg(IReadOnlyDictionary<string, List<double?>> eventual, IReadOnlyDictionary<string, List<double?>> strong, IReadOnlyList<Window> windows, int seconds)
    {
        const int w = 760, h = 300, left = 50, right = 130, top = 20, bottom = 40;
        var plotW = w - left - right;
        var plotH = h - top - bottom;
        double X(double s) => left + s / Math.Max(1, seconds) * plotW;
        double Y(double v) => top + (1 - v) * plotH;
        string[] colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf"];
        var svg = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        svg.AppendLine(FormattableString.Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">"));
        svg.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        foreach (var win in windows)
            svg.AppendLine(FormattableString.Invariant($"<rect x=\"{X(win.From):0.0}\" y=\"{top}\" width=\"{X(win.To) - X(win.From):0.0}\" height=\"{plotH}\" fill=\"#eee\"/>"));
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        svg.AppendLine(FormattableString.Invariant($"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"black\"/>"));
        foreach (var v in new[] { 0.0, 0.5, 1.0 })
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{left - 6}\" y=\"{Y(v) + 4:0.0}\" text-anchor=\"end\">{v * 100:0}%</text>"));
        for (var s = 0; s <= seconds; s += Math.Max(1, seconds / 10))
            svg.AppendLine(FormattableString.Invariant($"<text x=\"{X(s):0.0}\" y=\"{top + plotH + 15}\" text-anchor=\"middle\">{s}s</text>"));
        svg.AppendLine(FormattableString.Invariant($"<text x=\"{left + plotW / 2}\" y=\"{h - 5}\" text-anchor=\"middle\">writes acknowledged per second (solid eventual, dashed strong; shaded: partition)</text>"));
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
}
