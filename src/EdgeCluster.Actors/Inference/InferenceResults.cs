using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// Ended tasks, replicated to every member so that a result outlives the coordinator that produced it: DistributedData
/// <c>LWWDictionary</c>s keyed by task id, spread over <see cref="Shards"/> keys by the task id's hash so that no one
/// key grows past what a gossip message carries (a busy hour of ten thousand tasks is ~600 entries a key). The
/// coordinator writes each ended task (to a majority of members at once; gossip brings it to the rest) and removes
/// entries older than the keep time once a minute. Any member reads them from its own replica.
/// </summary>
public static class InferenceResults
{
    public const int Shards = 16;

    private static readonly LWWDictionaryKey<string, EndedTask>[] Keys =
        Enumerable.Range(0, Shards).Select(i => new LWWDictionaryKey<string, EndedTask>($"inference-results-{i}")).ToArray();

    public static IReadOnlyList<LWWDictionaryKey<string, EndedTask>> AllKeys => Keys;

    /// <summary>The key holding a task: FNV-1a of its id, so every member picks the same one.</summary>
    public static LWWDictionaryKey<string, EndedTask> KeyOf(string taskId)
    {
        var hash = 2166136261u;
        foreach (var c in taskId) hash = (hash ^ c) * 16777619u;
        return Keys[hash % Shards];
    }

    /// <summary>
    /// How the coordinator records an ended task: to a majority of members (nothing waits for it), since it removes the
    /// task from the open tasks on a majority in the same round, and a result written on its member alone was lost when
    /// that member left before the next gossip round (seen in a full test run: a completed task read 404 on the others
    /// for good).
    /// </summary>
    public static readonly IWriteConsistency RecordWrite = new WriteMajority(TimeSpan.FromSeconds(2));

    /// <summary>The change that records <paramref name="task"/> in its key.</summary>
    public static Func<LWWDictionary<string, EndedTask>, LWWDictionary<string, EndedTask>> Add(UniqueAddress self, EndedTask task) =>
        d => d.SetItem(self, task.TaskId, task);

    /// <summary>Removes every entry of the key that ended before <paramref name="beforeMs"/>.</summary>
    public static Update Prune(UniqueAddress self, LWWDictionaryKey<string, EndedTask> key, long beforeMs) =>
        Dsl.Update(key, LWWDictionary<string, EndedTask>.Empty, WriteLocal.Instance, d =>
        {
            foreach (var (id, task) in d.Entries)
                if (task.EndedAtMs < beforeMs) d = d.Remove(self, id);
            return d;
        });

    /// <summary>One ended task as this member's replica holds it, or null.</summary>
    public static async Task<EndedTask?> FindAsync(IActorRef replicator, string taskId, TimeSpan timeout)
    {
        var key = KeyOf(taskId);
        var got = await replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), timeout);
        return got is GetSuccess success && success.Get(key).TryGetValue(taskId, out var task) ? task : null;
    }

    /// <summary>Every ended task this member's replica holds that ended at or after <paramref name="sinceMs"/>, oldest first.</summary>
    public static async Task<IReadOnlyList<EndedTask>> SinceAsync(IActorRef replicator, long sinceMs, TimeSpan timeout)
    {
        var replies = await Task.WhenAll(Keys.Select(key => replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), timeout)));
        return replies.Zip(Keys, (reply, key) => reply is GetSuccess success ? success.Get(key).Entries.Values : [])
            .SelectMany(tasks => tasks)
            .Where(t => t.EndedAtMs >= sinceMs)
            .OrderBy(t => t.EndedAtMs).ThenBy(t => t.TaskId, StringComparer.Ordinal)
            .ToList();
    }
}
