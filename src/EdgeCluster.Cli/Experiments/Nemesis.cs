using EdgeCluster.Contracts;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace EdgeCluster.Cli.Experiments;

/// <summary>
/// What the nemesis does: to the network, cut one member off, split the cluster in halves, flap a cut, or run shell
/// commands; to a lab's processes, SIGKILL one and start it again, restart the coordinator's member, pause one
/// (SIGSTOP/SIGCONT); or all of them in turn, a soak.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<NemesisKind>))]
public enum NemesisKind { Isolate, Split, Flap, Command, Kill, Restart, Pause, Soak }

public static class NemesisKinds
{
    public static NemesisKind Parse(string text) => text switch
    {
        "isolate" => NemesisKind.Isolate,
        "split" => NemesisKind.Split,
        "flap" => NemesisKind.Flap,
        "command" => NemesisKind.Command,
        "soak" => NemesisKind.Soak,
        _ => throw new ArgumentOutOfRangeException(nameof(text), text, "isolate, split, flap, command or soak"),
    };

    public static string Name(this NemesisKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Whether the fault is to the network (the checker holds the majority side to account only for those).</summary>
    public static bool IsNetwork(this NemesisKind kind) => kind is NemesisKind.Isolate or NemesisKind.Split or NemesisKind.Flap or NemesisKind.Command;
}

/// <summary>Cuts the network between a minority and a majority, and heals it.</summary>
public interface INemesis
{
    Task CutAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority);
    Task HealAsync();
}

/// <summary>Cuts through the members' management API (Akka.Remote's throttler): asked of one member, fanned out to both sides.</summary>
public sealed class AdminApiNemesis(HttpClient http, IReadOnlyList<Target> targets) : INemesis
{
    public async Task CutAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority)
    {
        var coordinator = targets.First(t => majority.Contains(t.Name));
        var response = await http.PostAsJsonAsync($"http://{coordinator.Http}/api/admin/partition/split",
            new { groups = new[] { majority, minority } });
        if (!response.IsSuccessStatusCode)
            throw new CliException($"the nemesis could not cut the network: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// Heals through the first member that answers, then makes sure: a member that missed the fan-out (it was
    /// restarting its actor system) is asked again itself, until no member reports a cut link (at most a minute).
    /// </summary>
    public async Task HealAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        IReadOnlyList<Target> pending = targets;
        while (true)
        {
            foreach (var t in pending)
            {
                try
                {
                    using var response = await http.PostAsync($"http://{t.Http}/api/admin/partition/heal", null);
                    if (response.IsSuccessStatusCode) break;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            }
            pending = await StillCutAsync();
            if (pending.Count == 0) return;
            if (DateTime.UtcNow > deadline)
                throw new CliException($"{string.Join(", ", pending.Select(t => t.Name))} still cut a minute after the heal; heal by hand: edgectl <member> partition heal");
            await Task.Delay(1000);
        }
    }

    private async Task<IReadOnlyList<Target>> StillCutAsync()
    {
        var cut = new List<Target>();
        foreach (var t in targets)
        {
            try
            {
                var links = await http.GetFromJsonAsync<LinksView>($"http://{t.Http}/api/admin/links", ApiJson.Options);
                if (links is null || links.Links.Count > 0) cut.Add(t);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                cut.Add(t);
            }
        }
        return cut;
    }
}

/// <summary>Cuts and heals with shell commands of the caller's (for example iptables in network namespaces).</summary>
public sealed class CommandNemesis(string cut, string heal) : INemesis
{
    public Task CutAsync(IReadOnlyList<string> minority, IReadOnlyList<string> majority) => ShellAsync(cut);

    public Task HealAsync() => ShellAsync(heal);

    private static async Task ShellAsync(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { UseShellExecute = false })
            ?? throw new CliException($"could not run '{command}'");
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new CliException($"'{command}' failed with exit code {p.ExitCode}");
    }
}
