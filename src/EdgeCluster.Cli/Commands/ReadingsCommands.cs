using System.CommandLine;
using System.Text.Json.Nodes;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; readings ...</c>: post a reading as a board does, and follow a device's readings.</summary>
public static class ReadingsCommands
{
    public static Command Build()
    {
        var device = CommonOptions.Number("device", "device", "the device id");
        var temperature = CommonOptions.Number("temperature", "temperature", "degrees Celsius");
        var humidity = CommonOptions.Number("humidity", "humidity", "relative humidity, %");
        var seq = new Option<long?>("--seq") { Description = "the device's counter for this reading (a retry with the same seq is stored once)" };
        var consistency = CommonOptions.Consistency();
        var tailDevice = CommonOptions.Number("device", "device", "the device id");
        var tailFor = CommonOptions.Seconds("--for", double.PositiveInfinity, "stop after this many seconds (default: until Ctrl-C)");

        return new Command("readings", "post readings and follow a device").With(
            new Command("post", "post one reading to this member").With(device, temperature, humidity, seq, consistency).WithMember(async (p, client) =>
            {
                var body = new JsonObject
                {
                    ["device_id"] = Number(p.GetValue(device)),
                    ["temperature"] = Number(p.GetValue(temperature)),
                    ["humidity"] = Number(p.GetValue(humidity)),
                };
                if (p.GetValue(seq) is { } s) body["seq"] = s;
                var level = p.GetValue(consistency);
                var reply = await client.PostAsync("/api/reading" + (level is null ? "" : $"?consistency={level}"), body);
                return Done(p.GetValue(CommonOptions.Json), reply,
                    $"stored: device {body["device_id"]}, {Output.Text(reply["consistency"])}, origin {Output.Text(reply["origin_node"])} #{Output.Text(reply["origin_seq"])}" +
                    (reply["duplicate"]?.GetValue<bool>() == true ? " (a duplicate: stored before)" : ""));
            }),
            new Command("tail", "a device's readings as they arrive on this member").With(tailDevice, tailFor).WithMember((p, client) =>
                TailAsync(client, (long)p.GetValue(tailDevice), p.GetValue(tailFor), p.GetValue(CommonOptions.Json))));
    }

    private static async Task<int> TailAsync(EdgeClient client, long device, double seconds, bool json)
    {
        var until = Until(seconds);
        var seen = new HashSet<string>();
        var first = true;
        do
        {
            var reply = await client.GetAsync($"/api/readings/{device}?limit={(first ? 10 : 1000)}");
            foreach (var r in (reply["readings"]?.AsArray() ?? []).Reverse())
            {
                var id = Output.Text(r!["reading_id"])!;
                if (!seen.Add(id)) continue;
                if (json) Output.Out.WriteLine(r.ToJsonString());
                else Output.Out.WriteLine($"{Output.Text(r["timestamp"])}  device {r["device_id"]}  {r["temperature"]} C  {r["humidity"]} %  seq {Output.Text(r["seq"]) ?? "-"}  from {Output.Text(r["origin_node"])}");
            }
            Output.Out.Flush();
            first = false;
            if (DateTime.UtcNow < until) await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(0, seconds * 1000))));
        } while (DateTime.UtcNow < until);
        return 0;
    }
}
