using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using EdgeCluster.Domain.Inference;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// A node's inference worker: heartbeats its model types and capacity to the coordinator, and runs
/// the tasks it is given on this member's replicated readings.
/// </summary>
public sealed class WorkerActor : ReceiveActor, IWithTimers
{
    private sealed record Beat;

    public ITimerScheduler Timers { get; set; } = null!;

    public WorkerActor(string nodeName, IActorRef coordinator, ReadModelStore store, InferenceSettings settings)
    {
        var workerId = $"{nodeName}/worker";
        var models = InferenceSettings.Models.ToDictionary(m => m.ModelType);
        var beat = new WorkerHeartbeat(workerId, nodeName, models.Keys.ToArray(), settings.Capacity);

        Receive<Beat>(_ => coordinator.Tell(beat));
        Receive<RunTask>(task =>
        {
            if (!models.TryGetValue(task.ModelType, out var model))
            {
                Sender.Tell(new TaskDone(task.TaskId, workerId, nodeName, false, null, $"no model '{task.ModelType}' on {nodeName}"));
                return;
            }
            var samples = store.Queries.Readings(task.DeviceId, model.Window, null, null)
                .Select(r => new Sample(TimeText.ToUnixMs(r.Timestamp), r.Temperature)).ToList();
            var result = model.Run(task.DeviceId, samples);
            Sender.Tell(result is null
                ? new TaskDone(task.TaskId, workerId, nodeName, true, JsonSerializer.Serialize(new
                {
                    model_type = task.ModelType, device_id = task.DeviceId, summary = $"not enough history: {samples.Count} readings of device {task.DeviceId}, too few or too close together for {task.ModelType}",
                }), null)
                : new TaskDone(task.TaskId, workerId, nodeName, true, JsonSerializer.Serialize(new
                {
                    model_type = result.ModelType, device_id = result.DeviceId, values = result.Values, summary = result.Summary,
                }), null));
        });
    }

    protected override void PreStart()
    {
        Self.Tell(new Beat());
        Timers.StartPeriodicTimer("beat", new Beat(), TimeSpan.FromSeconds(1));
    }
}

public static class InferenceHosting
{
    /// <summary>The coordinator singleton (on coordinator-role members, oldest first), its proxy, and a worker on inference-role members.</summary>
    public static AkkaConfigurationBuilder AddInference(this AkkaConfigurationBuilder builder, string nodeName,
        IReadOnlyList<string> roles, InferenceSettings settings)
    {
        builder.AddInferenceSerializer();
        var options = settings.Coordinator;
        var singleton = new ClusterSingletonOptions { Role = "coordinator" };
        if (roles.Contains("coordinator"))
            builder.WithSingleton<CoordinatorActor>(CoordinatorActor.SingletonName, Props.Create(() => new CoordinatorActor(options, settings.ResultsKeep)), singleton);
        else
            builder.WithSingletonProxy<CoordinatorActor>(CoordinatorActor.SingletonName, singleton);
        // Held by this member when no coordinator answers in 2 s, up to the coordinator's own queue bound.
        builder.AddInferenceSubmissions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), options.QueueCapacity, nodeName);
        if (!roles.Contains("inference")) return builder;
        return builder.WithActors((system, registry, resolver) =>
        {
            var coordinator = registry.Get<CoordinatorActor>();
            var store = resolver.GetService<ReadModelStore>();
            registry.Register<WorkerActor>(system.ActorOf(Props.Create(() => new WorkerActor(nodeName, coordinator, store, settings)), "inference-worker"));
        });
    }
}
