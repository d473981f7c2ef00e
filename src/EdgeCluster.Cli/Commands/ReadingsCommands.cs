using System.CommandLine;
using EdgeCluster.Contracts;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; readings ...</c>: post a reading as a board does, and follow a device's readings.</summary>
public static class ReadingsCommands
{
    public static Command Build()
    {
        var (device, temperature, humidity, seq) = CommonOptions.Reading();
        var consistency = CommonOptions.Consistency();
        var deviceToken = CommonOptions.DeviceToken();
        var tailDevice = CommonOptions.Number("device", "device", "the device id");
        var tailFor = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");

        return new Command("readings", "post readings and follow a device").With(
            new Command("post", "post one reading to this member").With(device, temperature, humidity, seq, consistency, deviceToken).WithMember(async (p, client) =>
            {
                var body = new
                {
                    DeviceId = Number(p.GetValue(device)),
                    Temperature = Number(p.GetValue(temperature)),
                    Humidity = Number(p.GetValue(humidity)),
                    Seq = p.GetValue(seq),
                };
                var level = p.GetValue(consistency);
                var path = "/api/reading" + (level is null ? "" : $"?consistency={level}");
                var reply = p.GetValue(deviceToken) is { } token
                    ? await client.PostAsAsync<ReadingAccepted>(path, body, token)
                    : await client.PostAsync<ReadingAccepted>(path, body);
                return Done(p.GetValue(CommonOptions.Json), reply,
                    $"stored: device {reply.DeviceId}, {reply.Consistency}, origin {reply.OriginNode} #{reply.OriginSeq}" +
                    (reply.Duplicate ? " (a duplicate: stored before)" : ""));
            }),
            new Command("tail", "a device's readings as they arrive on this member").With(tailDevice, tailFor).WithMember((p, client) =>
                TailAsync(client, (long)p.GetValue(tailDevice), p.GetValue(tailFor), p.GetValue(CommonOptions.Json))));
    }

    private static async Task<int> TailAsync(EdgeClient client, long device, double seconds, bool json)
    {
        var until = Until(seconds);
        var seen = new HashSet<long>();
        var first = true;
        do
        {
            var page = await client.GetAsync<ReadingsPage>($"/api/readings/{device}?limit={(first ? 10 : 1000)}");
            foreach (var r in page.Readings.Reverse())
            {
                if (!seen.Add(r.ReadingId)) continue;
                if (json) Output.Line(r);
                else Output.Out.WriteLine($"{r.Timestamp}  device {r.DeviceId}  {r.Temperature} C  {r.Humidity} %  seq {r.Seq?.ToString() ?? "-"}  from {r.OriginNode}");
            }
            Output.Out.Flush();
            first = false;
            if (DateTime.UtcNow < until) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(0, seconds * 1000))));
        } while (DateTime.UtcNow < until);
        return 0;
    }
}
