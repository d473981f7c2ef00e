using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using EdgeCluster.Domain.Inference;

namespace EdgeCluster.Actors.Inference;

public static class InferenceProtocol
{
    public interface IInferenceMessage;

    public sealed record Submit(string TaskId, string ModelType, int DeviceId, Priority Priority, string AcceptedBy) : IInferenceMessage;

    public sealed record Submitted(string TaskId, SubmitResult Result, int QueueDepth) : IInferenceMessage;

    public sealed record WorkerHeartbeat(string WorkerId, string Node, string[] ModelTypes, int Capacity) : IInferenceMessage;

    public sealed record RunTask(string TaskId, string ModelType, int DeviceId, int Attempt) : IInferenceMessage;

    public sealed record TaskDone(string TaskId, string WorkerId, string Node, bool Ok, string? ResultJson, string? Error) : IInferenceMessage;

    public sealed record GetTask(string TaskId) : IInferenceMessage;

    /// <summary>
    /// Answered with the task's <see cref="TaskStatus"/> once it has ended (at once when it has, or when the coordinator
    /// does not know it; with its state then when the coordinator stops first).
    /// </summary>
    public sealed record AwaitTask(string TaskId) : IInferenceMessage;

    /// <summary>
    /// From the coordinator to the member that accepted a task: its end is written to a majority of members, so that
    /// member may forget it.
    /// </summary>
    public sealed record TaskEnded(string TaskId) : IInferenceMessage;

    public sealed record TaskStatus(string TaskId, string State, string? ResultJson, string? Reason, string? WorkerId, string? Node,
        int Attempts) : IInferenceMessage;

    public sealed record GetStats : IInferenceMessage;

    /// <summary>A task that ended (completed or failed), as every member keeps it for a while after (InferenceResults).</summary>
    public sealed record EndedTask(string TaskId, string State, string? ResultJson, string? Reason, string? WorkerId, string? Node,
        int Attempts, long EndedAtMs) : IInferenceMessage;

    public sealed record WorkerStats(string WorkerId, string Node, string Status, string[] ModelTypes, int Capacity, int Running, int Completed);

    /// <summary>AssignP50Ms / AssignP99Ms: submit to first assignment over the last <c>AssignSamples</c> tasks.</summary>
    public sealed record CoordinatorStats(string CoordinatorNode, WorkerStats[] Workers, int QueueHigh, int QueueMedium, int QueueLow,
        long CompletedTasks, long FailedTasks, double AssignP50Ms, double AssignP99Ms, int AssignSamples) : IInferenceMessage;
}

/// <summary>
/// The inference protocol between members as System.Text.Json documents, the type named by a short
/// manifest: readable in a capture, and a field added later does not break an older member.
/// </summary>
public sealed class InferenceSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7303;

    private static readonly Dictionary<string, Type> Types = typeof(InferenceProtocol).GetNestedTypes()
        .Where(t => typeof(InferenceProtocol.IInferenceMessage).IsAssignableFrom(t) && !t.IsInterface)
        .ToDictionary(t => t.Name);

    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o.GetType().Name;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Options)!
            : throw new System.Runtime.Serialization.SerializationException($"Unknown inference manifest '{manifest}'");

    public static IEnumerable<Type> MessageTypes => Types.Values;
}

public static class InferenceSerializerHosting
{
    public static AkkaConfigurationBuilder AddInferenceSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("edge-inference", InferenceSerializer.MessageTypes.ToArray(), system => new InferenceSerializer(system));
}
