using System.CommandLine;
using EdgeCluster.Contracts;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; uplink status</c>: the member's uplink to the cloud PostgreSQL.</summary>
public static class UplinkCommands
{
    public static Command Build() =>
        new Command("uplink", "the uplink that forwards every reading to the cloud PostgreSQL").With(
            new Command("status", "up or down (since when, why), the cloud's progress per origin, backlog and throughput")
                .WithMember(StatusAsync));

    private static async Task<int> StatusAsync(ParseResult p, EdgeClient client)
    {
        var view = await client.GetAsync<UplinkView>("/api/uplink");
        if (p.GetValue(CommonOptions.Json)) { Output.Write(view); return 0; }
        if (!view.Enabled)
        {
            Output.Out.WriteLine("uplink: off (start the node with --uplink postgres://user:password@host:5432/db)");
            return 0;
        }
        Output.Out.WriteLine($"uplink to {view.Target}: {view.State}" +
            (view.DownSince is { } since ? $" since {since:u}" : "") + (view.LastError is { } error ? $" ({error})" : ""));
        Output.Out.WriteLine($"backlog {view.Backlog} readings" + (view.BacklogAgeS is { } age ? $", oldest waiting {age:0.#} s" : "") +
            $"; uploaded here {view.UploadedHere}, {view.ReadingsPerSecond:0.#} readings/s" +
            (view.RateCap > 0 ? $" (cap {view.RateCap}/s)" : ""));
        Output.Table(["ORIGIN", "IN CLOUD", "HELD HERE", "BACKLOG", "UPLOADED BY THIS MEMBER"],
            view.Origins.Select(o => (IReadOnlyList<string?>)
                [o.Origin, o.Cloud.ToString(), o.Local.ToString(), o.Backlog.ToString(), o.UploadedHere ? "yes" : "no"]));
        return view.State == "up" ? 0 : 1;
    }
}
