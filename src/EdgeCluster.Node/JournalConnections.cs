using System.Data.Common;
using LinqToDB;
using LinqToDB.Interceptors;

namespace EdgeCluster.Node;

/// <summary>
/// The reading journal's connections (Akka.Persistence.Sql through linq2db on Microsoft.Data.Sqlite). Each connection
/// gets SQLite's own busy handler: without one, Microsoft.Data.Sqlite answers SQLITE_BUSY by sleeping 150 ms and trying
/// again, so a journal write that met the snapshot store's write (every 1,000 groups) stood still for 150 ms, and with it
/// every request waiting for the journal: that was the single-reading POST's p99 of ~130 ms (docs/benchmarks.md,
/// "Where the p99 went"). SQLite's handler retries within a millisecond or two.
/// </summary>
public static class JournalConnections
{
    /// <summary>
    /// How long a journal write waits for SQLite's lock before it fails: half the ingest request's timeout. A write that
    /// gives up this way is rolled back, so its requests can be told "nothing was stored" before their deadline. Waiting
    /// longer (it was 30 s) let Akka.Persistence's circuit breaker (call-timeout 10 s) or the request's own timeout answer
    /// first, with a write still waiting underneath that could land after the client heard it had not.
    /// </summary>
    public static TimeSpan BusyTimeoutFor(TimeSpan requestTimeout) => requestTimeout / 2;

    /// <summary>
    /// Akka.Persistence.Sql's SQLite schema gives the journal table no index by persistence id, so a recovery (the replay
    /// from the snapshot and the highest sequence number) reads the whole table — and retention deletes events only once
    /// their readings left the raw tier, so a node fed a reading at a time keeps a row per small group for days (2 million
    /// rows added ~0.7 s to a start here; docs/benchmarks.md). This index makes those queries seeks. Created when the table
    /// exists: before the actor system starts (a journal from before the index is indexed once, then), and after the read
    /// model caught up (a new journal's table, created by the plugin at its first start, is empty then). It only speeds a
    /// start up, so it never stops one: on a full disk or a locked file the node starts without it and the next start
    /// tries again. Null when the index is there; otherwise why not (the table does not exist yet, or SQLite's error).
    /// </summary>
    public static string? EnsureSequenceIndex(string journalPath)
    {
        try
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={journalPath}");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'journal'";
            if (command.ExecuteScalar() is null) return "the journal table does not exist yet";
            command.CommandText = "CREATE INDEX IF NOT EXISTS ix_journal_persistence_sequence ON journal (persistence_id, sequence_number)";
            command.ExecuteNonQuery();
            return null;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            return e.Message;
        }
    }

    public static DataOptions Options(string journalPath, TimeSpan busyTimeout) =>
        new DataOptions()
            .UseConnectionString(ProviderName.SQLiteMS, $"Data Source={journalPath};Default Timeout={(int)busyTimeout.TotalSeconds}")
            .UseInterceptor(new BusyTimeout((int)busyTimeout.TotalMilliseconds));

    private sealed class BusyTimeout(int milliseconds) : ConnectionInterceptor
    {
        public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
        {
            using var command = Pragma(connection);
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            await using var command = Pragma(connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        private DbCommand Pragma(DbConnection connection)
        {
            var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout = {milliseconds}";
            return command;
        }
    }
}
