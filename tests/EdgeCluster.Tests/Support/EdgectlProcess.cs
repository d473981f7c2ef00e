using System.Diagnostics;

namespace EdgeCluster.Tests.Support;

/// <summary>Runs the built edgectl as a user does: its own process, its exit code, its stdout and stderr.</summary>
public static class EdgectlProcess
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Err}";
    }

    public static Task<Result> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs edgectl with <paramref name="input"/> on its standard input (closed after it); killed after 120 s.</summary>
    public static async Task<Result> RunWithInputAsync(string? input, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgectl.dll"));
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"edgectl {string.Join(' ', args)} did not exit within 120 s; stdout so far: {await stdout}");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
