using System.Diagnostics;
using EdgeCluster.Tests.Support;

namespace EdgeCluster.Tests.Deployment;

/// <summary>
/// The Pi install: cluster-config/systemd/install.sh run into a scratch root with the built node, and the unit it
/// installs checked by systemd's own <c>systemd-analyze verify</c> (Debian's systemd; .ci/run installs it).
/// </summary>
public sealed class PiInstallTests
{
    private static string Script => Repository.File("cluster-config", "systemd", "install.sh");

    // The node as the tests built it: its apphost beside its dll, as a published folder has it.
    private static string Built => AppContext.BaseDirectory;

    private static Task<ProcessRun.Ended> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file);
        foreach (var a in args) info.ArgumentList.Add(a);
        return ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Install_puts_the_node_unit_settings_and_user_in_place_keeps_edited_settings_and_systemd_accepts_the_unit()
    {
        using var root = new TempDir();
        var install = await RunAsync(Script, "--root", root.Path, "--from", Built);
        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.True(File.Exists(root.File("opt/edgecluster/EdgeCluster.Node")), "the node's executable is installed");
        Assert.True(File.Exists(root.File("opt/edgecluster/EdgeCluster.Node.dll")));
        var unit = root.File("etc/systemd/system/edgecluster.service");
        Assert.True(File.Exists(unit));
        var env = root.File("etc/edgecluster/edgecluster.env");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(env));
        Assert.Contains("edgecluster:x:998:998:EdgeCluster node:/var/lib/edgecluster:/usr/sbin/nologin", await File.ReadAllTextAsync(root.File("etc/passwd")));

        // Installing again (an upgrade) replaces the node and keeps the operator's settings.
        await File.AppendAllTextAsync(env, "EDGE_DEVICE_AUTH=tokens\n");
        File.WriteAllText(root.File("opt/edgecluster/left-over-from-an-old-version.dll"), "");
        var again = await RunAsync(Script, "--root", root.Path, "--from", Built);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.EndsWith("EDGE_DEVICE_AUTH=tokens\n", await File.ReadAllTextAsync(env));
        Assert.False(File.Exists(root.File("opt/edgecluster/left-over-from-an-old-version.dll")));
        Assert.Single(await File.ReadAllLinesAsync(root.File("etc/passwd")), l => l.StartsWith("edgecluster:", StringComparison.Ordinal));

        // systemd's verdict on the unit as installed (its paths pointed into the scratch root): no errors, no warnings.
        var verified = root.File("edgecluster.service");
        await File.WriteAllTextAsync(verified, (await File.ReadAllTextAsync(unit))
            .Replace("/opt/edgecluster", root.File("opt/edgecluster")).Replace("/etc/edgecluster", root.File("etc/edgecluster")));
        var verify = await RunAsync("systemd-analyze", "verify", verified);
        Assert.True(verify.ExitCode == 0 && verify.Err.Trim().Length == 0, verify.ToString());
        var text = await File.ReadAllTextAsync(unit);
        foreach (var directive in new[] { "User=edgecluster", "StateDirectory=edgecluster", "Restart=on-failure", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "EnvironmentFile=/etc/edgecluster/edgecluster.env" })
            Assert.Contains(directive + "\n", text);

        // Refusals name what is missing.
        var noSource = await RunAsync(Script, "--root", root.Path);
        Assert.Equal(2, noSource.ExitCode);
        Assert.Contains("--from DIR (the published node) is required", noSource.Err);
        var notPublished = await RunAsync(Script, "--root", root.Path, "--from", root.File("nothing-here"));
        Assert.Equal(2, notPublished.ExitCode);
        Assert.Contains("publish the node first", notPublished.Err);
    }
}
