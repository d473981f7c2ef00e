using System.CommandLine;
using System.Globalization;
using EdgeCluster.Contracts;
using static EdgeCluster.Cli.Commands.Replies;

namespace EdgeCluster.Cli.Commands;

/// <summary><c>edgectl &lt;member&gt; devices ...</c>: the registry; registering a device answers its token once, and a token can be rotated.</summary>
public static class DevicesCommands
{
    public static Command Build()
    {
        var id = CommonOptions.Number("device", "device", "the device id");
        var name = new Argument<string>("name") { Description = "the device's name, like ESP32_01 (MQTT boards may log in with it)" };
        var type = new Option<string?>("--type") { Description = "sensor type (default DHT22)" };
        var location = new Option<string?>("--location") { Description = "where it is" };
        var interval = new Option<int?>("--interval") { Description = "seconds between its readings (device health: late, offline)" };
        var rotateId = CommonOptions.Number("device", "device", "the device id");

        return new Command("devices", "the device registry: list, register (answers the device's token once), rotate a token").With(
            new Command("list", "every registered device with its health").WithMember(async (p, client) =>
            {
                var list = await client.GetAsync<DeviceList>("/api/devices");
                if (p.GetValue(CommonOptions.Json)) Output.Write(list);
                else Output.Table(["DEVICE", "NAME", "TYPE", "LOCATION", "STATUS", "LAST SEEN"], list.Devices.Select(d => (IReadOnlyList<string?>)
                    [d.DeviceId.ToString(CultureInfo.InvariantCulture), d.Name, d.Type, d.Location, d.Status, d.LastSeen]));
                return 0;
            }),
            new Command("register", "add or change a device; a device's first registration answers its token, shown once").With(id, name, type, location, interval)
                .WithMember(async (p, client) =>
                {
                    var reply = await client.PostAsync<DeviceView>("/api/devices", new
                    {
                        DeviceId = Number(p.GetValue(id)), Name = p.GetValue(name), Type = p.GetValue(type), Location = p.GetValue(location),
                        IntervalS = p.GetValue(interval),
                    });
                    return Done(p.GetValue(CommonOptions.Json), reply, $"device {reply.DeviceId} ({reply.Name}) registered" + TokenLine(reply));
                }),
            new Command("token", "give a device a new token (the old one stops working on every member); shown once").With(rotateId)
                .WithMember(async (p, client) =>
                {
                    var reply = await client.PostAsync<DeviceView>($"/api/devices/{Number(p.GetValue(rotateId))}/token", null);
                    return Done(p.GetValue(CommonOptions.Json), reply, $"device {reply.DeviceId} ({reply.Name}) has a new token" + TokenLine(reply));
                }));
    }

    private static string TokenLine(DeviceView reply) => reply.Token is { } token
        ? $"\ntoken: {token}\n(shown once: put it in the board's config.h, or edge-sim's --token-file)"
        : "\n(it keeps the token it has; edgectl devices token rotates it)";
}
