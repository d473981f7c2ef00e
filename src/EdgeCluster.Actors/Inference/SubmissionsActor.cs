using Akka.Actor;
using Akka.Hosting;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// The tasks this member accepted, until each has ended. A task goes to the coordinator at once; when no coordinator
/// answers within <c>answerWithin</c> (its member died and the singleton has not started elsewhere yet) this member
/// accepts it itself, holds it ("queued (no coordinator yet)"), and hands it to the next coordinator: the singleton
/// proxy delivers what it buffered once it finds one, and every check submits the held tasks again. At most
/// <c>holdCapacity</c> tasks are held; beyond that the answer is a full queue (429). Every few seconds it also asks the
/// coordinator about each task handed over; a coordinator that does not know a task (it started on another member after
/// the old one was lost) gets it again, unless the results every member keeps say it ended. Task ids make submitting
/// twice harmless.
/// </summary>
public sealed class SubmissionsActor : ReceiveActor, IWithTimers
{
    private sealed record Check;
    private sealed record NoAnswer(string TaskId);
    private sealed record Looked(string TaskId, bool Ended);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    private readonly Dictionary<string, (Submit Task, DateTime Since)> _open = new();
    // Who asked, while the coordinator has not answered yet.
    private readonly Dictionary<string, IActorRef> _asking = new();
    // Accepted here while no coordinator answered; not yet taken by one.
    private readonly HashSet<string> _held = new();
    private readonly TimeSpan _checkInterval;

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="replicator">Where the ended tasks every member keeps are read (InferenceResults); null: not consulted.</param>
    public SubmissionsActor(IActorRef coordinator, TimeSpan checkInterval, TimeSpan answerWithin, int holdCapacity, IActorRef? replicator = null)
    {
        _checkInterval = checkInterval;
        Receive<Submit>(submit =>
        {
            _open[submit.TaskId] = (submit, DateTime.UtcNow);
            _asking[submit.TaskId] = Sender;
            coordinator.Tell(submit);
            Timers.StartSingleTimer("answer-" + submit.TaskId, new NoAnswer(submit.TaskId), answerWithin);
        });
        Receive<Submitted>(submitted =>
        {
            Timers.Cancel("answer-" + submitted.TaskId);
            if (_asking.Remove(submitted.TaskId, out var asker))
            {
                asker.Tell(submitted);
                // Told to retry later: the task is not this member's to keep.
                if (submitted.Result == SubmitResult.QueueFull) _open.Remove(submitted.TaskId);
            }
            if (submitted.Result is SubmitResult.Accepted or SubmitResult.AlreadyKnown) _held.Remove(submitted.TaskId);
        });
        Receive<NoAnswer>(none =>
        {
            if (!_asking.Remove(none.TaskId, out var asker)) return;
            if (_held.Count >= holdCapacity)
            {
                _open.Remove(none.TaskId);
                asker.Tell(new Submitted(none.TaskId, SubmitResult.QueueFull, _held.Count));
                return;
            }
            _held.Add(none.TaskId);
            asker.Tell(new Submitted(none.TaskId, SubmitResult.Held, _held.Count));
        });
        Receive<GetTask>(get => Sender.Tell(new InferenceProtocol.TaskStatus(get.TaskId,
            _held.Contains(get.TaskId) ? HeldState : _open.ContainsKey(get.TaskId) ? "queued" : "unknown", null, null, null, null, 0)));
        Receive<Check>(_ =>
        {
            foreach (var (id, (task, since)) in _open.ToList())
            {
                if (DateTime.UtcNow - since > GiveUpAfter)
                {
                    _open.Remove(id);
                    _held.Remove(id);
                }
                else if (_held.Contains(id)) coordinator.Tell(task);
                else coordinator.Tell(new GetTask(id));
            }
        });
        Receive<InferenceProtocol.TaskStatus>(status =>
        {
            if (!_open.TryGetValue(status.TaskId, out var open)) return;
            switch (status.State)
            {
                case "completed" or "failed":
                    _open.Remove(status.TaskId);
                    break;
                case "unknown" when replicator is null:
                    coordinator.Tell(open.Task);
                    break;
                case "unknown":
                    // A new coordinator knows nothing of tasks its predecessor ended: ask the kept results before running one again.
                    InferenceResults.FindAsync(replicator, status.TaskId, TimeSpan.FromSeconds(1))
                        .PipeTo(Self, success: ended => new Looked(status.TaskId, ended is not null), failure: _ => new Looked(status.TaskId, false));
                    break;
            }
        });
        Receive<Looked>(looked =>
        {
            if (!_open.TryGetValue(looked.TaskId, out var open)) return;
            if (looked.Ended) _open.Remove(looked.TaskId);
            else coordinator.Tell(open.Task);
        });
    }

    /// <summary>The state of a task this member holds because no coordinator answered when it came.</summary>
    public const string HeldState = "queued (no coordinator yet)";

    protected override void PreStart() => Timers.StartPeriodicTimer("check", new Check(), _checkInterval);
}

public static class SubmissionsHosting
{
    public static AkkaConfigurationBuilder AddInferenceSubmissions(this AkkaConfigurationBuilder builder, TimeSpan checkInterval,
        TimeSpan answerWithin, int holdCapacity) =>
        builder.WithActors((system, registry, _) =>
        {
            var coordinator = registry.Get<CoordinatorActor>();
            registry.Register<SubmissionsActor>(system.ActorOf(
                Props.Create(() => new SubmissionsActor(coordinator, checkInterval, answerWithin, holdCapacity,
                    Akka.DistributedData.DistributedData.Get(system).Replicator)), "inference-submissions"));
        });
}
