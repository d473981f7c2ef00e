using EdgeCluster.Cli;

return await Edgectl.RunAsync(args);
