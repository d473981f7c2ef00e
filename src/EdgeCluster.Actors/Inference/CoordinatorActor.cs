using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// The inference coordinator, a cluster singleton on the oldest member with the coordinator role.
/// It knows workers only from their heartbeats, so after it moves it rebuilds its view from the next
/// heartbeats; the scheduling itself is <see cref="CoordinatorState"/>.
/// </summary>
public sealed class CoordinatorActor : ReceiveActor, IWithTimers
{
    public const string SingletonName = "inference-coordinator";
    private sealed record Tick;

    /// <summary>
    /// Every accepted task that has not ended, replicated to a majority: a coordinator that starts on another member
    /// re-queues them, so tasks survive even when the member that accepted them dies with the old coordinator.
    /// </summary>
    public static readonly LWWDictionaryKey<string, Submit> OpenTasksKey = new("inference-open-tasks");
    private static readonly IWriteConsistency OpenTasksWrite = new WriteMajority(TimeSpan.FromSeconds(2));

    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly UniqueAddress _self = Cluster.Get(Context.System).SelfUniqueAddress;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CoordinatorState _state;
    private readonly Dictionary<string, IActorRef> _workers = new();
    private readonly Dictionary<string, string> _nodeOf = new();
    private readonly Dictionary<string, string> _results = new();
    // When each result in _results ended, oldest first: results leave this coordinator's memory after the keep time.
    private readonly Queue<(long EndedAtMs, string TaskId)> _ended = new();
    private readonly TimeSpan _resultsKeep;
    private sealed record Prune;
    private readonly Queue<long> _assignLatencies = new();
    private const int LatencySamples = 10_000;
    private long _completed;
    private long _failed;

    public ITimerScheduler Timers { get; set; } = null!;

    public CoordinatorActor(CoordinatorOptions options, TimeSpan resultsKeep)
    {
        _state = new CoordinatorState(options);
        _resultsKeep = resultsKeep;

        Receive<Submit>(s =>
        {
            var result = _state.Submit(new InferenceTask(s.TaskId, s.ModelType, s.DeviceId, s.Priority, Now()));
            Sender.Tell(new Submitted(s.TaskId, result, _state.QueueDepth));
            if (result == SubmitResult.Accepted)
                _replicator.Tell(Dsl.Update(OpenTasksKey, LWWDictionary<string, Submit>.Empty, OpenTasksWrite, d => d.SetItem(_self, s.TaskId, s)));
            Dispatch();
        });
        Receive<WorkerHeartbeat>(h =>
        {
            _state.Heartbeat(new WorkerInfo(h.WorkerId, h.Node, h.ModelTypes.ToHashSet(), h.Capacity), Now());
            _workers[h.WorkerId] = Sender;
            _nodeOf[h.WorkerId] = h.Node;
            Dispatch();
        });
        Receive<TaskDone>(done =>
        {
            var outcome = done.Ok
                ? _state.Complete(done.TaskId, done.WorkerId, done.ResultJson ?? "null")
                : _state.Failed(done.TaskId, done.WorkerId, done.Error ?? "the worker failed");
            Count(outcome);
            if (outcome is { Completed: true })
            {
                _results[done.TaskId] = done.ResultJson ?? "null";
                _ended.Enqueue((Now(), done.TaskId));
            }
            Dispatch();
        });
        Receive<Tick>(_ =>
        {
            foreach (var outcome in _state.Tick(Now())) Count(outcome);
            Dispatch();
            EdgeMetrics.Coordinator(new EdgeMetrics.CoordinatorSnapshot(_state.QueueDepthOf(Priority.High), _state.QueueDepthOf(Priority.Medium),
                _state.QueueDepthOf(Priority.Low), _state.Workers().Sum(w => w.Running), _completed, _failed));
        });
        // What the previous coordinator had open: queue whatever this one does not know yet (task ids make it idempotent).
        Receive<GetSuccess>(got =>
        {
            if (!got.Key.Equals(OpenTasksKey)) return;
            var open = got.Get(OpenTasksKey);
            var requeued = 0;
            foreach (var (_, task) in open)
                if (_state.Submit(new InferenceTask(task.TaskId, task.ModelType, task.DeviceId, task.Priority, Now())) == SubmitResult.Accepted)
                    requeued++;
            if (requeued > 0) _log.Info("Re-queued {0} open tasks left by the previous coordinator", requeued);
            Dispatch();
        });
        Receive<GetFailure>(failed =>
        {
            // No majority answered in time: take what this member holds.
            _log.Info("Open tasks not read from a majority in time; using this member's copy");
            _replicator.Tell(Dsl.Get(OpenTasksKey, ReadLocal.Instance));
        });
        Receive<NotFound>(_ => { });
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ => { });
        Receive<Prune>(_ =>
        {
            var before = Now() - (long)_resultsKeep.TotalMilliseconds;
            foreach (var key in InferenceResults.AllKeys) _replicator.Tell(InferenceResults.Prune(_self, key, before));
            while (_ended.TryPeek(out var oldest) && oldest.EndedAtMs < before) _results.Remove(_ended.Dequeue().TaskId);
        });
        Receive<GetTask>(g =>
        {
            var (state, worker, attempts) = _state.StateOf(g.TaskId);
            var outcome = _state.Outcome(g.TaskId);
            Sender.Tell(new InferenceProtocol.TaskStatus(g.TaskId, state, _results.GetValueOrDefault(g.TaskId), outcome?.Reason, worker,
                worker is null ? null : _nodeOf.GetValueOrDefault(worker), attempts));
        });
        Receive<GetStats>(_ => Sender.Tell(new CoordinatorStats(
            Cluster.Get(Context.System).SelfAddress.ToString(),
            _state.Workers().Select(w => new WorkerStats(w.Info.WorkerId, w.Info.Node, w.Status.ToString().ToLowerInvariant(),
                w.Info.ModelTypes.Order().ToArray(), w.Info.Capacity, w.Running, w.Completed)).ToArray(),
            _state.QueueDepthOf(Priority.High), _state.QueueDepthOf(Priority.Medium), _state.QueueDepthOf(Priority.Low),
            _completed, _failed, Percentile(0.50), Percentile(0.99), _assignLatencies.Count)));
    }

    // The coordinator moved away (or this member leaves): its figures leave this member's /metrics.
    protected override void PostStop() => EdgeMetrics.Coordinator(null);

    protected override void PreStart()
    {
        _log.Info("Inference coordinator started on {0}; waiting for worker heartbeats", Cluster.Get(Context.System).SelfAddress);
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(250));
        Timers.StartPeriodicTimer("prune", new Prune(), TimeSpan.FromMinutes(1));
        _replicator.Tell(Dsl.Get(OpenTasksKey, new ReadMajority(TimeSpan.FromSeconds(3))));
    }

    /// <summary>The scheduler's clock: real time in a node, virtual time under Akka.TestKit's TestScheduler.</summary>
    private long Now() => Context.System.Scheduler.Now.ToUnixTimeMilliseconds();

    private double Percentile(double p)
    {
        if (_assignLatencies.Count == 0) return 0;
        var sorted = _assignLatencies.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * p))];
    }

    private void Count(TaskOutcome? outcome)
    {
        if (outcome is null) return;
        var ended = outcome.TaskId;
        // Kept on every member for the keep time, so the result outlives this coordinator; written before the task leaves
        // the open tasks, both to a majority.
        _replicator.Tell(InferenceResults.Record(_self, new EndedTask(ended, outcome.Completed ? "completed" : "failed", outcome.Result,
            outcome.Reason, outcome.WorkerId, outcome.WorkerId is { } w ? _nodeOf.GetValueOrDefault(w) : null, outcome.Attempts, Now())));
        _replicator.Tell(Dsl.Update(OpenTasksKey, LWWDictionary<string, Submit>.Empty, OpenTasksWrite, d => d.Remove(_self, ended)));
        if (outcome.Completed) _completed++;
        else
        {
            _failed++;
            _log.Warning("Inference task {0} failed: {1}", outcome.TaskId, outcome.Reason);
        }
    }

    private void Dispatch()
    {
        var now = Now();
        foreach (var a in _state.Assign(now))
        {
            _workers[a.WorkerId].Tell(new RunTask(a.Task.TaskId, a.Task.ModelType, a.Task.DeviceId, a.Task.Attempts + 1));
            if (a.Task.Attempts > 0) continue;
            _assignLatencies.Enqueue(now - a.Task.SubmittedAtMs);
            if (_assignLatencies.Count > LatencySamples) _assignLatencies.Dequeue();
        }
    }
}
