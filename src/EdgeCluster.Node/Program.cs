using EdgeCluster.Node;

NodeSettings settings;
try
{
    var appSettingsFile = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
    var appSettings = new ConfigurationBuilder().AddJsonFile(appSettingsFile, optional: true).Build()
        .GetSection("Edge").AsEnumerable(makePathsRelative: true).ToDictionary(p => p.Key, p => p.Value);
    settings = NodeSettings.Load(args, Environment.GetEnvironmentVariables(), appSettings);
}
catch (SettingsException e)
{
    Console.Error.WriteLine($"edgecluster: {e.Message}");
    return 2;
}

try
{
    // A member the cluster removed starts again with a new actor system, same files and ports, and rejoins.
    await NodeRunner.RunAsync(settings);
    return 0;
}
catch (Exception e) when (e is SettingsException or IOException or UnauthorizedAccessException
                              or Microsoft.Data.Sqlite.SqliteException or EdgeCluster.Storage.StoreVersionException)
{
    Console.Error.WriteLine($"edgecluster: cannot start node '{settings.NodeName}': {e.Message}");
    return 1;
}
