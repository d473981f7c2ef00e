namespace EdgeCluster.Storage;

/// <summary>
/// The node's read model: one SQLite file and the parts that use it, each with one job. The node
/// opens it once at start (so a file it cannot use stops it with one line) and hands the parts out.
/// </summary>
public sealed class ReadModelStore : IDisposable
{
    public ReadModelStore(string path, bool synchronousFull = false)
    {
        Database = new ReadModelDatabase(path, synchronousFull);
        Writer = new ReadingWriter(Database);
        Replication = new ReplicationSource(Database);
        Devices = new DeviceTable(Database);
        Queries = new ReadingQueries(Database);
        DeviceStates = new DeviceStateLoader(Database, Devices, Queries);
        Analytics = new AnalyticsQueries(Database);
        Health = new DeviceHealthQueries(Database);
        Retention = new RetentionStore(Database, Writer);
        ExpiredRanges = new ExpiredRanges(Database, Writer);
    }

    public ReadModelDatabase Database { get; }
    public ReadingWriter Writer { get; }
    public ReplicationSource Replication { get; }
    public DeviceTable Devices { get; }
    public ReadingQueries Queries { get; }
    public DeviceStateLoader DeviceStates { get; }
    public AnalyticsQueries Analytics { get; }
    public DeviceHealthQueries Health { get; }
    public RetentionStore Retention { get; }
    public ExpiredRanges ExpiredRanges { get; }

    public string Path => Database.Path;

    public void Dispose()
    {
        Writer.Dispose();
        Database.Dispose();
    }
}
