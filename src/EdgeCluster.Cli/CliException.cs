namespace EdgeCluster.Cli;

/// <summary>A failure edgectl reports as one line on stderr and an exit code: 2 for a wrong command, 1 when the cluster said no.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(message + " (edgectl --help lists the commands, edgectl <command> --help its options)", 2);
}
