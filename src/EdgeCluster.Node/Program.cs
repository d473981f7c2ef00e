using EdgeCluster.Node;

NodeSettings settings;
try
{
    settings = NodeSettings.Load(args, Environment.GetEnvironmentVariables(), Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
}
catch (SettingsException e)
{
    Console.Error.WriteLine($"edgecluster: {e.Message}");
    return 2;
}

try
{
    // A member the cluster removed starts again with a new actor system, same files and ports, and rejoins: in a fresh
    // image of this process (docs/architecture.md, Decisions), or inside it with EDGE_REJOIN_IN_PROCESS=1.
    await NodeRunner.RunAsync(settings, restartInPlace: Environment.GetEnvironmentVariable("EDGE_REJOIN_IN_PROCESS") != "1");
    return 0;
}
catch (Exception e) when (e is SettingsException or IOException or UnauthorizedAccessException
                              or Microsoft.Data.Sqlite.SqliteException or EdgeCluster.Storage.StoreVersionException)
{
    Console.Error.WriteLine($"edgecluster: cannot start node '{settings.NodeName}': {e.Message}");
    return 1;
}
