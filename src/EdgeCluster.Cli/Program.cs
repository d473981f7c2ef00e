using EdgeCluster.Cli;

return await Edgectl.RunAsync(args);

namespace EdgeCluster.Cli
{
    public static class Edgectl
    {
        public const string Usage = """
            edgectl: command line for an EdgeCluster lab (pbm's palette where pbm has the command)

              edgectl <host:port> cluster show | leader | unreachable | tail [--for <s>]
              edgectl <host:port> cluster leave [member] | down <member> | down-unreachable | join <address>
              edgectl <host:port> partition isolate <member> | split <a,b> <c,d> [...] | heal | status
              edgectl <host:port> kv put <key> <value> [--consistency strong|eventual] | kv get <key> [--consistency ..] [--resolve lww]
              edgectl <host:port> readings post <device> <temperature> <humidity> [--seq <n>] [--consistency ..] | tail <device> [--for <s>]
              edgectl <host:port> coordinator stats | submit <model> <device> [--priority high|medium|low] [--wait <s>]
              edgectl lab up [--nodes 3] [--profile default|ap|cp] [--dir .edgelab] [--http-port 5000] [--akka-port 4053]
              edgectl lab down [--dir .edgelab] [--purge]
              edgectl experiment [--nodes 3] [--profile ap|cp] [--nemesis isolate|split|flap] [--duration 30] [--rate 20] [--out dir] [--keep]
              edgectl experiment --targets <host:port,..> --minority <node,..> --nemesis command --nemesis-command <sh> --heal-command <sh>

            <host:port> is any member's HTTP address; a member is named by node name, address or host:port.
            --json prints JSON for scripts; --token (or EDGE_ADMIN_TOKEN) is sent to the management API.
            Exit codes: 0 done, 1 the cluster refused or could not be reached, 2 a wrong command.
            """;

        public static async Task<int> RunAsync(string[] argv, TextWriter? output = null)
        {
            if (output is not null) Output.Out = output;
            try
            {
                var args = new Args(argv);
                if (args.Words.Count == 0 || args.Words[0] is "help" or "-h" || args.Flag("--help"))
                {
                    Output.Out.WriteLine(Usage);
                    return args.Words.Count == 0 && !args.Flag("--help") ? 2 : 0;
                }
                switch (args.Words[0])
                {
                    case "lab":
                        return await Lab.RunAsync(args);
                    case "experiment":
                        return await Experiments.ExperimentCommand.RunAsync(args);
                }
                var target = args.Words[0];
                if (!target.Contains(':'))
                    throw CliException.Usage($"'{target}' is neither a command nor a member's host:port");
                var token = args.Option("--token") ?? Environment.GetEnvironmentVariable("EDGE_ADMIN_TOKEN");
                var timeout = TimeSpan.FromSeconds(args.SecondsOption("--timeout", 30));
                using var client = new EdgeClient(target, token, timeout);
                var group = args.Word(1, "command group (cluster, partition, kv, readings or coordinator)");
                return group switch
                {
                    "cluster" => await Commands.ClusterAsync(client, args),
                    "partition" => await Commands.PartitionAsync(client, args),
                    "kv" => await Commands.KeyValueAsync(client, args),
                    "readings" => await Commands.ReadingsAsync(client, args),
                    "coordinator" => await Commands.CoordinatorAsync(client, args),
                    _ => throw CliException.Usage($"unknown command group '{group}'"),
                };
            }
            catch (CliException e)
            {
                Console.Error.WriteLine($"edgectl: {e.Message}");
                return e.ExitCode;
            }
        }
    }
}
