using System.Text.Json;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.EndToEnd;

/// <summary>
/// `edgectl experiment` on three real node processes: load on every member, n3 cut off by the partition controller,
/// heal, final reads, and the checker's verdict. The same schedule shows the CP and the AP profile side by side.
/// </summary>
[Trait("Category", "Slow")]
[Collection(MultiNodeCollection.Name)]
public sealed class ExperimentTests
{
    [Fact]
    public async Task CP_profile_refuses_strong_writes_on_the_minority_downs_it_and_takes_it_back_losing_nothing()
    {
        var report = await RunAsync("cp");
        var strong = report.GetProperty("strong");
        Assert.Equal(0, strong.GetProperty("acknowledged_on_minority").GetInt32());
        Assert.Equal(0, strong.GetProperty("lost").GetInt32());
        Assert.True(strong.GetProperty("acknowledged").GetInt32() > 0);
        Assert.Equal(0, report.GetProperty("eventual").GetProperty("lost_after_heal").GetInt32());

        // The minority kept taking eventual readings while cut off and downed; its strong writes were refused.
        var partitioned = report.GetProperty("sides").GetProperty("minority").GetProperty("phases").GetProperty("partitioned");
        Assert.True(partitioned.GetProperty("eventual").GetProperty("ok").GetInt32() > 0);
        // Not one eventual reading refused or left unanswered, not even while n3 restarted its actor system: the HTTP
        // socket stays open.
        var eventual = partitioned.GetProperty("eventual");
        Assert.True(eventual.GetProperty("invoked").GetInt32() == eventual.GetProperty("ok").GetInt32(), NotAcknowledged);
        Assert.Equal(0, partitioned.GetProperty("strong").GetProperty("ok").GetInt32());
        Assert.True(partitioned.GetProperty("strong").GetProperty("fail").GetInt32() > 0);

        // n3 was downed by the split brain resolver and came back by itself, as a member, on its own journal.
        var n3 = report.GetProperty("final_members").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "n3");
        Assert.True(n3.GetProperty("incarnation").GetInt32() >= 2, n3.ToString());
        Assert.Equal("Up", n3.GetProperty("member").GetString());
    }

    [Fact]
    public async Task AP_profile_keeps_both_sides_writing_through_a_flapping_link_and_converges_after_heal()
    {
        var report = await RunAsync("ap", "flap");
        Assert.True(report.GetProperty("windows").GetArrayLength() >= 2, "flapping cuts the link more than once");
        Assert.Equal(0, report.GetProperty("eventual").GetProperty("lost_after_heal").GetInt32());
        Assert.Equal(0, report.GetProperty("strong").GetProperty("acknowledged_on_minority").GetInt32());
        var minority = report.GetProperty("sides").GetProperty("minority").GetProperty("phases").GetProperty("partitioned");
        var eventual = minority.GetProperty("eventual");
        // Nobody is downed in AP: every eventual write on the cut-off member is acknowledged.
        Assert.Equal(eventual.GetProperty("invoked").GetInt32(), eventual.GetProperty("ok").GetInt32());
        Assert.All(report.GetProperty("final_members").EnumerateArray(), m => Assert.Equal(1, m.GetProperty("incarnation").GetInt32()));
    }

    [Fact]
    public async Task A_split_of_four_members_cuts_the_halves_apart_and_loses_nothing()
    {
        var report = await RunAsync("ap", "split", nodes: 4, duration: 12);
        var window = Assert.Single(report.GetProperty("windows").EnumerateArray());
        Assert.Equal("split", window.GetProperty("action").GetString());
        Assert.Equal("n3,n4", window.GetProperty("minority").GetString());
        Assert.Equal(["n3", "n4"], report.GetProperty("sides").GetProperty("minority").GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0, report.GetProperty("eventual").GetProperty("lost_after_heal").GetInt32());
        // Two of four is no majority: neither half acknowledges a strong write while they are apart.
        Assert.Equal(0, report.GetProperty("strong").GetProperty("acknowledged_on_minority").GetInt32());
    }

    private static string NotAcknowledged = "";

    private static async Task<JsonElement> RunAsync(string profile, string nemesis = "isolate", int nodes = 3, int duration = 24)
    {
        using var dir = new TempDir();

        var outDir = Path.Combine(dir.Path, "report");
        var run = await EdgectlProcess.RunAsync("experiment", "--profile", profile, "--nemesis", nemesis, "--duration", duration.ToString(),
            "--rate", "10", "--nodes", nodes.ToString(),
            "--dir", Path.Combine(dir.Path, "lab"), "--out", outDir, "--http-port", "0", "--akka-port", "0");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("| verdict | PASS |", await File.ReadAllTextAsync(Path.Combine(outDir, "report.md")));
        Assert.StartsWith("<svg", await File.ReadAllTextAsync(Path.Combine(outDir, "availability.svg")));
        var history = await File.ReadAllLinesAsync(Path.Combine(outDir, "history.jsonl"));
        Assert.NotEmpty(history);
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"))).RootElement.Clone();
        // For a failing assertion's message: the eventual writes that were not acknowledged, with what the member said.
        NotAcknowledged = string.Join("\n", history.Where(l => l.Contains("\"EventualWrite\"") && !l.Contains("\"Ok\"")));
        // Availability over time for each side of the cut, one value a second.
        var perSide = report.GetProperty("availability_per_side_per_second");
        Assert.True(perSide.GetProperty("minority").GetArrayLength() >= duration - 4);
        Assert.True(perSide.GetProperty("majority").GetArrayLength() >= duration - 4);
        return report;
    }
}
