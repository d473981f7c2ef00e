using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using EdgeCluster.Actors.Durable;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// The inference coordinator, a cluster singleton on the oldest member with the coordinator role.
/// It knows workers only from their heartbeats, so after it moves it rebuilds its view from the next
/// heartbeats; the scheduling itself is <see cref="CoordinatorState"/>.
/// <para>
/// Its replicated writes (open tasks in, ended tasks recorded, open tasks out) go out in rounds (<see cref="WriteRounds"/>):
/// one update per key for everything that happened while the last round was on its way to a majority. Within a round the
/// ended tasks are recorded before they leave the open tasks. Once an ended task's record is on a majority, the member that
/// accepted it hears so (<see cref="TaskEnded"/>) and forgets it.
/// </para>
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
    private readonly WriteRounds _writes;
    // The member's submissions actor that handed each open task over, told when the task's end is on a majority.
    private readonly Dictionary<string, IActorRef> _acceptedBy = new();
    // HTTP requests waiting for a task to end (AwaitTask).
    private readonly Dictionary<string, List<IActorRef>> _awaiting = new();
    // The request an ended task's record carries: whom to tell once it is on a majority.
    private sealed record Recorded(string TaskId, IActorRef AcceptedBy);

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
        _writes = new WriteRounds(_replicator, Self);

        Receive<Submit>(s =>
        {
            var result = _state.Submit(new InferenceTask(s.TaskId, s.ModelType, s.DeviceId, s.Priority, Now()));
            Sender.Tell(new Submitted(s.TaskId, result, _state.QueueDepth));
            if (result is SubmitResult.Accepted or SubmitResult.AlreadyKnown && _state.Outcome(s.TaskId) is null && !Sender.IsNobody())
                _acceptedBy[s.TaskId] = Sender;
            if (result == SubmitResult.Accepted)
                _writes.Queue(OpenTasksKey, LWWDictionary<string, Submit>.Empty, OpenTasksWrite, d => d.SetItem(_self, s.TaskId, s), last: true);
            Dispatch();
            _writes.Flush();
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
            if (outcome is not null) Answer(outcome.TaskId);
            Dispatch();
            _writes.Flush();
        });
        Receive<Tick>(_ =>
        {
            foreach (var outcome in _state.Tick(Now()))
            {
                Count(outcome);
                Answer(outcome.TaskId);
            }
            Dispatch();
            _writes.Flush();
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
        Receive<IUpdateResponse>(_writes.Owns, response =>
        {
            var onMajority = response.IsSuccessful;
            foreach (var request in _writes.Answered(response))
                if (onMajority && request is Recorded recorded) recorded.AcceptedBy.Tell(new TaskEnded(recorded.TaskId));
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(_ => { });
        Receive<Prune>(_ =>
        {
            var before = Now() - (long)_resultsKeep.TotalMilliseconds;
            foreach (var key in InferenceResults.AllKeys) _replicator.Tell(InferenceResults.Prune(_self, key, before));
            while (_ended.TryPeek(out var oldest) && oldest.EndedAtMs < before) _results.Remove(_ended.Dequeue().TaskId);
        });
        Receive<GetTask>(g => Sender.Tell(StatusOf(g.TaskId)));
        Receive<AwaitTask>(a =>
        {
            var status = StatusOf(a.TaskId);
            if (status.State is not ("queued" or "running")) Sender.Tell(status);
            else if (_awaiting.TryGetValue(a.TaskId, out var waiting)) waiting.Add(Sender);
            else _awaiting[a.TaskId] = [Sender];
        });
        Receive<GetStats>(_ => Sender.Tell(new CoordinatorStats(
            Cluster.Get(Context.System).SelfAddress.ToString(),
            _state.Workers().Select(w => new WorkerStats(w.Info.WorkerId, w.Info.Node, w.Status.ToString().ToLowerInvariant(),
                w.Info.ModelTypes.Order().ToArray(), w.Info.Capacity, w.Running, w.Completed)).ToArray(),
            _state.QueueDepthOf(Priority.High), _state.QueueDepthOf(Priority.Medium), _state.QueueDepthOf(Priority.Low),
            _completed, _failed, Percentile(0.50), Percentile(0.99), _assignLatencies.Count)));
    }

    protected override void PostStop()
    {
        // The coordinator moved away (or this member leaves): its figures leave this member's /metrics.
        EdgeMetrics.Coordinator(null);
        // Its last changes still go to the replicator, and whoever waits hears where its task stands (and asks the next one).
        _writes.FlushNow();
        foreach (var taskId in _awaiting.Keys.ToList()) Answer(taskId);
    }

    private InferenceProtocol.TaskStatus StatusOf(string taskId)
    {
        var (state, worker, attempts) = _state.StateOf(taskId);
        var outcome = _state.Outcome(taskId);
        return new InferenceProtocol.TaskStatus(taskId, state, _results.GetValueOrDefault(taskId), outcome?.Reason, worker,
            worker is null ? null : _nodeOf.GetValueOrDefault(worker), attempts);
    }

    /// <summary>Whoever waits for the task (it ended, or this coordinator stops) hears its status.</summary>
    private void Answer(string taskId)
    {
        if (!_awaiting.Remove(taskId, out var waiting)) return;
        var status = StatusOf(taskId);
        foreach (var waiter in waiting) waiter.Tell(status);
    }

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
        // Kept on every member for the keep time, so the result outlives this coordinator; recorded before the task leaves
        // the open tasks (the open tasks' update goes last in its round), both on a majority.
        var record = new EndedTask(ended, outcome.Completed ? "completed" : "failed", outcome.Result, outcome.Reason, outcome.WorkerId,
            outcome.WorkerId is { } w ? _nodeOf.GetValueOrDefault(w) : null, outcome.Attempts, Now());
        _writes.Queue(InferenceResults.KeyOf(ended), LWWDictionary<string, EndedTask>.Empty, InferenceResults.RecordWrite,
            InferenceResults.Add(_self, record), _acceptedBy.Remove(ended, out var acceptedBy) ? new Recorded(ended, acceptedBy) : null);
        _writes.Queue(OpenTasksKey, LWWDictionary<string, Submit>.Empty, OpenTasksWrite, d => d.Remove(_self, ended), last: true);
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
