using EdgeCluster.Domain.Inference;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// How inference runs: worker heartbeats, capacity, the coordinator's queue, deadlines and fairness. <see cref="Default"/>
/// holds every default; the node's settings start from it.
/// </summary>
public sealed record InferenceSettings(TimeSpan HeartbeatInterval, TimeSpan HeartbeatTimeout, int Capacity, int QueueCapacity,
    TimeSpan TaskDeadline, int MaxAttempts, int FairShareSlack, TimeSpan ResultsKeep)
{
    public static readonly InferenceSettings Default = new(
        HeartbeatInterval: TimeSpan.FromSeconds(1),
        HeartbeatTimeout: TimeSpan.FromSeconds(5),
        Capacity: 2,
        QueueCapacity: 1_000,
        TaskDeadline: TimeSpan.FromSeconds(30),
        MaxAttempts: 3,
        FairShareSlack: 4,
        ResultsKeep: TimeSpan.FromHours(1));

    public static readonly IReadOnlyList<IInferenceModel> Models = [new AnomalyModel(), new ForecastModel()];

    public CoordinatorOptions Coordinator => new(QueueCapacity, HeartbeatTimeout, TaskDeadline, MaxAttempts, FairShareSlack);
}
