namespace EdgeCluster.Domain.Inference;

public enum Priority { High = 0, Medium = 1, Low = 2 }

public enum WorkerStatus { Idle, Busy, Offline }

/// <summary>A task as submitted: which model, on which device's readings, how urgent.</summary>
public sealed record InferenceTask(string TaskId, string ModelType, int DeviceId, Priority Priority, long SubmittedAtMs)
{
    public int Attempts { get; init; }
}

/// <summary>What a worker says of itself in every heartbeat.</summary>
public sealed record WorkerInfo(string WorkerId, string Node, IReadOnlySet<string> ModelTypes, int Capacity);

public sealed record Assignment(InferenceTask Task, string WorkerId, long DeadlineMs);

/// <summary>How a task ended: completed with a result, or failed with the reason. Every accepted task ends as one of them.</summary>
public sealed record TaskOutcome(string TaskId, bool Completed, string? Result, string? Reason, string? WorkerId, int Attempts);

/// <summary>
/// What became of a submitted task; <c>Held</c>: no coordinator answered, the member that took it keeps it for the next
/// one; <c>NotKept</c>: the member that took it could not write it to its disk, so nothing was accepted.
/// </summary>
public enum SubmitResult { Accepted, AlreadyKnown, QueueFull, Held, NotKept }

/// <param name="FairShareSlack">
/// How many tasks a worker may be handed beyond the least-served alive worker of the same model type; 0 turns the bound off
/// (pure work-conserving round-robin, where a worker that frees its slots sooner takes more).
/// </param>
public sealed record CoordinatorOptions(int QueueCapacity, TimeSpan HeartbeatTimeout, TimeSpan TaskDeadline, int MaxAttempts,
    int FairShareSlack);

/// <summary>
/// The inference coordinator's decisions, without actors: a bounded queue per priority (first in,
/// first out within one), round-robin over alive workers with free capacity for the task's model
/// type, re-queueing of tasks whose worker stopped heartbeating or missed the deadline, up to a
/// number of attempts, and results counted once.
/// </summary>
public sealed class CoordinatorState(CoordinatorOptions options)
{
    private sealed class Worker(WorkerInfo info, long lastHeartbeatMs)
    {
        public WorkerInfo Info { get; set; } = info;
        public long LastHeartbeatMs { get; set; } = lastHeartbeatMs;
        public Dictionary<string, Assignment> Running { get; } = new();
        public int Completed { get; set; }
        public bool Offline { get; set; }
        /// <summary>Tasks handed to this worker, for the fair-share bound. A worker that (re)joins starts level with the others.</summary>
        public long Served { get; set; }
    }

    private readonly LinkedList<InferenceTask>[] _queues = [new(), new(), new()];
    private readonly List<Worker> _workers = new();
    private readonly Dictionary<string, int> _cursorByModel = new();
    private readonly HashSet<string> _known = new();
    private readonly Dictionary<string, TaskOutcome> _finished = new();

    public CoordinatorOptions Options { get; } = options;

    public int QueueDepth => _queues.Sum(q => q.Count);

    public int QueueDepthOf(Priority priority) => _queues[(int)priority].Count;

    public SubmitResult Submit(InferenceTask task)
    {
        if (_known.Contains(task.TaskId)) return SubmitResult.AlreadyKnown;
        if (QueueDepth >= Options.QueueCapacity) return SubmitResult.QueueFull;
        _known.Add(task.TaskId);
        _queues[(int)task.Priority].AddLast(task);
        return SubmitResult.Accepted;
    }

    public TaskOutcome? Outcome(string taskId) => _finished.GetValueOrDefault(taskId);

    public bool IsKnown(string taskId) => _known.Contains(taskId);

    /// <summary>queued, running (with its worker), completed, failed, or unknown.</summary>
    public (string State, string? WorkerId, int Attempts) StateOf(string taskId)
    {
        if (_finished.TryGetValue(taskId, out var outcome)) return (outcome.Completed ? "completed" : "failed", outcome.WorkerId, outcome.Attempts);
        foreach (var w in _workers)
            if (w.Running.TryGetValue(taskId, out var a)) return ("running", w.Info.WorkerId, a.Task.Attempts);
        foreach (var queue in _queues)
            if (queue.FirstOrDefault(t => t.TaskId == taskId) is { } queued) return ("queued", null, queued.Attempts);
        return ("unknown", null, 0);
    }

    /// <summary>Registers or refreshes a worker. A worker that came back is alive again; tasks it no longer runs were re-queued already.</summary>
    public void Heartbeat(WorkerInfo info, long nowMs)
    {
        var worker = _workers.Find(w => w.Info.WorkerId == info.WorkerId);
        // A new or returning worker is not owed the tasks it was not there for: it starts level with the least served.
        var level = _workers.Where(w => !w.Offline && w != worker).Select(w => w.Served).DefaultIfEmpty(0).Min();
        if (worker is null) _workers.Add(new Worker(info, nowMs) { Served = level });
        else
        {
            if (worker.Offline) worker.Served = Math.Max(worker.Served, level);
            worker.Info = info;
            worker.LastHeartbeatMs = nowMs;
            worker.Offline = false;
        }
    }

    /// <summary>Hands queued tasks to workers: highest priority first, FIFO within a priority, round-robin per model type.</summary>
    public IReadOnlyList<Assignment> Assign(long nowMs)
    {
        var assignments = new List<Assignment>();
        foreach (var queue in _queues)
        {
            for (var node = queue.First; node is not null;)
            {
                var next = node.Next;
                var worker = NextWorkerFor(node.Value.ModelType);
                if (worker is not null)
                {
                    var assignment = new Assignment(node.Value, worker.Info.WorkerId, nowMs + (long)Options.TaskDeadline.TotalMilliseconds);
                    worker.Running[node.Value.TaskId] = assignment;
                    assignments.Add(assignment);
                    queue.Remove(node);
                }
                node = next;
            }
        }
        return assignments;
    }

    private Worker? NextWorkerFor(string modelType)
    {
        if (_workers.Count == 0) return null;
        // Fair share: no worker runs more than the slack ahead of the least-served alive worker of this model type, so
        // a worker that frees its slots sooner (the one beside the coordinator, a faster Pi) cannot take the lion's share.
        var least = _workers.Where(w => !w.Offline && w.Info.ModelTypes.Contains(modelType)).Select(w => w.Served).DefaultIfEmpty(0).Min();
        var start = _cursorByModel.GetValueOrDefault(modelType) % _workers.Count;
        for (var i = 0; i < _workers.Count; i++)
        {
            var index = (start + i) % _workers.Count;
            var w = _workers[index];
            if (w.Offline || !w.Info.ModelTypes.Contains(modelType) || w.Running.Count >= w.Info.Capacity) continue;
            if (Options.FairShareSlack > 0 && w.Served - least >= Options.FairShareSlack) continue;
            _cursorByModel[modelType] = index + 1;
            w.Served++;
            return w;
        }
        return null;
    }

    /// <summary>A worker's result. The first result of a task counts; a second, or one for a task given to another worker since, does not.</summary>
    public TaskOutcome? Complete(string taskId, string workerId, string result)
    {
        var worker = _workers.Find(w => w.Info.WorkerId == workerId);
        if (worker is null || !worker.Running.Remove(taskId, out var assignment)) return null;
        worker.Completed++;
        return Finish(new TaskOutcome(taskId, true, result, null, workerId, assignment.Task.Attempts + 1));
    }

    /// <summary>A worker reports that it could not run the task: it goes back to the queue, or fails after the last attempt.</summary>
    public TaskOutcome? Failed(string taskId, string workerId, string reason)
    {
        var worker = _workers.Find(w => w.Info.WorkerId == workerId);
        if (worker is null || !worker.Running.Remove(taskId, out var assignment)) return null;
        return Requeue(assignment.Task, reason);
    }

    /// <summary>Marks workers whose heartbeats stopped offline and re-queues their tasks; re-queues tasks past their deadline.</summary>
    public IReadOnlyList<TaskOutcome> Tick(long nowMs)
    {
        var failed = new List<TaskOutcome>();
        foreach (var worker in _workers)
        {
            if (!worker.Offline && nowMs - worker.LastHeartbeatMs > Options.HeartbeatTimeout.TotalMilliseconds)
            {
                worker.Offline = true;
                foreach (var assignment in worker.Running.Values.ToList())
                    if (Requeue(assignment.Task, $"worker {worker.Info.WorkerId} stopped heartbeating") is { } outcome) failed.Add(outcome);
                worker.Running.Clear();
                continue;
            }
            foreach (var assignment in worker.Running.Values.Where(a => nowMs > a.DeadlineMs).ToList())
            {
                worker.Running.Remove(assignment.Task.TaskId);
                if (Requeue(assignment.Task, $"worker {worker.Info.WorkerId} missed the deadline") is { } outcome) failed.Add(outcome);
            }
        }
        return failed;
    }

    private TaskOutcome? Requeue(InferenceTask task, string reason)
    {
        var again = task with { Attempts = task.Attempts + 1 };
        if (again.Attempts >= Options.MaxAttempts)
            return Finish(new TaskOutcome(task.TaskId, false, null, $"{reason}; gave up after {again.Attempts} attempts", null, again.Attempts));
        // Back at the front of its priority: it was first in once.
        _queues[(int)task.Priority].AddFirst(again);
        return null;
    }

    private TaskOutcome Finish(TaskOutcome outcome)
    {
        _finished[outcome.TaskId] = outcome;
        return outcome;
    }

    public WorkerStatus StatusOf(string workerId)
    {
        var w = _workers.Find(x => x.Info.WorkerId == workerId) ?? throw new KeyNotFoundException(workerId);
        return w.Offline ? WorkerStatus.Offline : w.Running.Count > 0 ? WorkerStatus.Busy : WorkerStatus.Idle;
    }

    public IReadOnlyList<(WorkerInfo Info, WorkerStatus Status, int Running, int Completed)> Workers() =>
        _workers.Select(w => (w.Info, StatusOf(w.Info.WorkerId), w.Running.Count, w.Completed)).ToList();
}
