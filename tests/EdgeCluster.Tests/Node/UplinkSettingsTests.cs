using System.Collections;
using EdgeCluster.Node;
using EdgeCluster.Node.Uplink;
using Npgsql;

namespace EdgeCluster.Tests.Node;

/// <summary>The uplink's settings as a user gives them, and who uploads which origin.</summary>
public sealed class UplinkSettingsTests
{
    private static NodeSettings Load(string[] args, Dictionary<string, string>? env = null) =>
        NodeSettings.Load(args, new Hashtable(env ?? new Dictionary<string, string>()));

    [Fact]
    public void The_uplink_is_off_by_default_and_taken_from_the_switch_or_EDGE_UPLINK()
    {
        Assert.Null(Load([]).UplinkTarget());
        var fromEnv = Load([], new() { ["EDGE_UPLINK"] = "postgres://lab:pw@cloud.example:6543/edge", ["EDGE_UPLINK_RATE"] = "500" });
        var target = fromEnv.UplinkTarget()!;
        Assert.Equal(500, fromEnv.UplinkRate);
        Assert.Equal("postgres://lab@cloud.example:6543/edge", target.Display);
        var cs = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        Assert.Equal(("cloud.example", 6543, "edge", "lab", "pw"), (cs.Host, cs.Port, cs.Database, cs.Username, cs.Password));
        Assert.Equal(20_000, Load(["--uplink", "postgresql://lab@h/db"]).UplinkBatch);
    }

    [Fact]
    public void Port_defaults_to_5432_escapes_are_decoded_and_sslmode_is_taken()
    {
        var target = UplinkTarget.Parse("postgres://lab%40site:p%3Ass%2Fw@db.campus.edu/edge%20lab?sslmode=require");
        var cs = new NpgsqlConnectionStringBuilder(target.ConnectionString);
        Assert.Equal((5432, "lab@site", "p:ss/w", "edge lab", SslMode.Require), (cs.Port, cs.Username, cs.Password, cs.Database, cs.SslMode));
        Assert.DoesNotContain("p:ss", target.Display);
        Assert.DoesNotContain("p%3Ass", target.Display);
    }

    [Fact]
    public void The_password_file_wins_over_the_url_and_its_newline_is_not_part_of_it()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("pw"), "from-file\n");
        var s = Load(["--uplink", "postgres://lab:in-url@h/db", "--uplink-password-file", dir.File("pw")]);
        Assert.Equal("from-file", new NpgsqlConnectionStringBuilder(s.UplinkTarget()!.ConnectionString).Password);
        var missing = Assert.Throws<SettingsException>(() => Load(["--uplink", "postgres://lab@h/db", "--uplink-password-file", dir.File("none")]));
        Assert.StartsWith("--uplink-password-file", missing.Message);
    }

    [Theory]
    [InlineData("mysql://lab:pw@h/db", "--uplink must be a URL such as postgres://")]
    [InlineData("cloud.example:5432", "--uplink must be a URL such as postgres://")]
    [InlineData("postgres://lab:pw@h", "--uplink names no database")]
    [InlineData("postgres://:pw@h/db", "--uplink names no user")]
    [InlineData("postgres://lab:pw@h/db?sslmode=sometimes", "--uplink: sslmode 'sometimes'")]
    [InlineData("postgres://lab:pw@h/db?compress=yes", "--uplink: unknown parameter 'compress'")]
    public void A_url_that_cannot_work_stops_the_node_with_one_line_and_no_password(string url, string message)
    {
        var e = Assert.Throws<SettingsException>(() => Load(["--uplink", url]));
        Assert.StartsWith(message, e.Message);
        Assert.DoesNotContain("pw", e.Message.Replace(message, ""));
    }

    [Theory]
    [InlineData("--uplink-rate", "-5", "must be a whole number, 0 or more")]
    [InlineData("--uplink-batch", "0", "must be a positive whole number")]
    public void Rate_and_batch_are_checked(string option, string value, string message)
    {
        var e = Assert.Throws<SettingsException>(() => Load(["--uplink", "postgres://lab@h/db", option, value]));
        Assert.Contains(message, e.Message);
        Assert.StartsWith(option, e.Message);
    }

    [Fact]
    public void Each_member_uploads_its_own_origin_and_exactly_one_live_member_takes_over_a_lost_ones()
    {
        string[] live = ["pi-1", "pi-2", "pi-3"];
        foreach (var self in live)
        {
            Assert.True(UplinkOwnership.UploadsHere(self, self, live));
            Assert.All(live.Where(o => o != self), o => Assert.False(UplinkOwnership.UploadsHere(o, self, live)));
        }
        // pi-4 is gone: with the same view, one and only one of the others uploads its origin; many origins spread out.
        var takers = new Dictionary<string, int>();
        for (var i = 0; i < 60; i++)
        {
            var origin = $"gone-{i}";
            var owners = live.Where(self => UplinkOwnership.UploadsHere(origin, self, live)).ToList();
            Assert.Single(owners);
            takers[owners[0]] = takers.GetValueOrDefault(owners[0]) + 1;
        }
        Assert.Equal(3, takers.Count);
        // A member cut off from the others (it sees only itself) uploads every origin it holds: two uploaders then, which
        // the cloud's cursor lock makes safe.
        Assert.True(UplinkOwnership.UploadsHere("pi-1", "pi-3", ["pi-3"]));
    }
}
