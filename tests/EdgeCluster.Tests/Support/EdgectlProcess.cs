using System.Diagnostics;

namespace EdgeCluster.Tests.Support;

/// <summary>Runs the built edgectl as a user does: its own process, its exit code, its stdout and stderr.</summary>
public static class EdgectlProcess
{
    public static Task<ProcessRun.Ended> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs edgectl with <paramref name="input"/> on its standard input (closed after it); killed after 120 s.</summary>
    public static Task<ProcessRun.Ended> RunWithInputAsync(string? input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgectl.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        return ProcessRun.ToExitAsync(info, TimeSpan.FromSeconds(120), input);
    }
}
