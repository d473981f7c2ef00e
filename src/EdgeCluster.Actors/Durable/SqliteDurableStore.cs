using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.DistributedData.Durable;
using Akka.Event;
using Akka.Serialization;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Actors.Durable;

/// <summary>
/// The durable store of the node's DistributedData keys that must outlive a restart of every member (the key-value
/// store's keys and the coordinator's open tasks): one SQLite file in the node's data folder (<c>ddata.db</c>, WAL,
/// <c>synchronous=FULL</c>), the same engine as the journal, so it runs wherever the node runs (linux-arm64 included)
/// with no second native library. The replicator sends <see cref="LoadAll"/> once at start and a <see cref="Store"/>
/// per change of a durable key; it acknowledges a write (and a replica acknowledges a majority write) only after the
/// store's reply, which this actor sends once the value is on disk. Stores that queue up while one is written go to
/// disk together in one transaction: one fsync for many writes.
/// </summary>
public sealed class SqliteDurableStore : ReceiveActor
{
    private sealed class Flush
    {
        public static readonly Flush Instance = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Serializer _serializer;
    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, DurableDataEnvelope> _pending = new();
    private readonly List<StoreReply> _replies = new();
    private bool _flushQueued;

    /// <summary>Created by the replicator with <c>akka.cluster.distributed-data.durable</c>; the file is <c>sqlite.path</c> there.</summary>
    public SqliteDurableStore(Config config)
    {
        var path = config.GetString("sqlite.path", "");
        if (string.IsNullOrWhiteSpace(path))
            throw new ConfigurationException("akka.cluster.distributed-data.durable.sqlite.path must name the durable store's file");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        _connection.Open();
        using (var cmd = _connection.CreateCommand())
        {
            cmd.CommandText =
                """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
                CREATE TABLE IF NOT EXISTS ddata (
                    key TEXT PRIMARY KEY, serializer_id INTEGER NOT NULL, manifest TEXT NOT NULL, envelope BLOB NOT NULL) WITHOUT ROWID;
                """;
            cmd.ExecuteNonQuery();
        }
        _serializer = Context.System.Serialization.FindSerializerForType(typeof(DurableDataEnvelope));

        Receive<LoadAll>(_ =>
        {
            try
            {
                var loaded = new Dictionary<string, DurableDataEnvelope>();
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "SELECT key, serializer_id, manifest, envelope FROM ddata";
                using (var r = cmd.ExecuteReader())
                    while (r.Read())
                        loaded[r.GetString(0)] = (DurableDataEnvelope)Context.System.Serialization.Deserialize((byte[])r[3], r.GetInt32(1), r.GetString(2));
                if (loaded.Count > 0) Sender.Tell(new LoadData(loaded.ToImmutableDictionary()));
                Sender.Tell(LoadAllCompleted.Instance);
                _log.Info("Durable replicated data loaded from {0}: {1} keys", path, loaded.Count);
                Become(Active);
            }
            catch (Exception e)
            {
                throw new LoadFailedException($"loading durable replicated data from {path} failed: {e.Message}", e);
            }
        });
    }

    private void Active()
    {
        Receive<Store>(store =>
        {
            _pending[store.Key] = store.Data;
            if (store.Reply is { } reply) _replies.Add(reply);
            // Every Store already in the mailbox is taken before this Flush: they share its transaction.
            if (_flushQueued) return;
            _flushQueued = true;
            Self.Tell(Flush.Instance);
        });
        Receive<Flush>(_ =>
        {
            _flushQueued = false;
            var replies = _replies.ToList();
            _replies.Clear();
            var ok = Write();
            foreach (var reply in replies) reply.ReplyTo.Tell(ok ? reply.SuccessMessage : reply.FailureMessage);
        });
    }

    private bool Write()
    {
        if (_pending.Count == 0) return true;
        try
        {
            using var tx = _connection.BeginTransaction();
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText =
                """
                INSERT INTO ddata (key, serializer_id, manifest, envelope) VALUES ($key, $serializer, $manifest, $envelope)
                ON CONFLICT(key) DO UPDATE SET serializer_id = excluded.serializer_id, manifest = excluded.manifest, envelope = excluded.envelope
                """;
            var key = cmd.Parameters.Add("$key", SqliteType.Text);
            cmd.Parameters.AddWithValue("$serializer", _serializer.Identifier);
            var manifest = cmd.Parameters.Add("$manifest", SqliteType.Text);
            var envelope = cmd.Parameters.Add("$envelope", SqliteType.Blob);
            foreach (var (k, data) in _pending)
            {
                key.Value = k;
                manifest.Value = Akka.Serialization.Serialization.ManifestFor(_serializer, data);
                envelope.Value = _serializer.ToBinary(data);
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            return true;
        }
        catch (Exception e)
        {
            _log.Error(e, "Storing replicated data [{0}] failed; the writes are not acknowledged", string.Join(", ", _pending.Keys));
            return false;
        }
        finally
        {
            _pending.Clear();
        }
    }

    protected override void PostStop()
    {
        Write();
        _connection.Dispose();
        base.PostStop();
    }
}
