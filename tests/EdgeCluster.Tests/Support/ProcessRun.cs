using System.Diagnostics;

namespace EdgeCluster.Tests.Support;

/// <summary>Runs a process to its end, with a deadline: a process that does not end in time is killed and the test fails.</summary>
public static class ProcessRun
{
    public sealed record Ended(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Err}";
    }

    /// <param name="input">written to the process's standard input, which is then closed (closed at once when null)</param>
    public static async Task<Ended> ToExitAsync(ProcessStartInfo info, TimeSpan? within = null, string? input = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not end in time; stdout so far: {await stdout}");
        }
        return new Ended(process.ExitCode, await stdout, await stderr);
    }
}
