using System.Diagnostics;

namespace EdgeCluster.Tests.Support;

/// <summary>Runs a process to its end, with a deadline: a process that does not end in time is killed and the test fails.</summary>
public static class ProcessRun
{
    public sealed record Ended(int ExitCode, string Out, string Err);

    public static async Task<Ended> ToExitAsync(ProcessStartInfo info, TimeSpan? within = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not end in time");
        }
        return new Ended(process.ExitCode, await stdout, await stderr);
    }
}
