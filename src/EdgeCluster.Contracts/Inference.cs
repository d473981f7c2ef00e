using System.Text.Json;

namespace EdgeCluster.Contracts;

/// <summary>A worker as the coordinator sees it: idle, busy or offline, and its tasks.</summary>
public sealed record WorkerView(string WorkerId, string Node, string Status, string[] ModelTypes, int Capacity, int Running, int Completed);

public sealed record QueueDepth(int High, int Medium, int Low);

public sealed record AssignmentLatency(double P50, double P99, int Samples);

/// <summary>GET /api/inference/stats.</summary>
public sealed record CoordinatorStatsView(string Coordinator, int TotalWorkers, int AliveWorkers, int IdleWorkers, int BusyWorkers,
    IReadOnlyList<WorkerView> Workers, QueueDepth Queue, long CompletedTasks, long FailedTasks, AssignmentLatency SubmitToAssignmentMs);

/// <summary>A task's state (queued, assigned, completed, failed) and, once completed, its result.</summary>
public sealed record TaskView(string TaskId, string State, JsonElement? Result, string? Reason, string? Worker, string? Node, int Attempts)
{
    /// <summary>When it ended, for a task read from the results every member keeps.</summary>
    public string? EndedAt { get; init; }
}

/// <summary>GET /api/inference/results: ended tasks this member keeps, oldest first.</summary>
public sealed record InferenceResultsView(int Count, IReadOnlyList<TaskView> Tasks);

/// <summary>202 of POST /api/inference: accepted, not yet run.</summary>
public sealed record TaskQueued(string TaskId, string State, string Priority);
