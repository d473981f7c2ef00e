using Akka.Actor;
using Akka.Hosting;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Actors.Inference;

/// <summary>
/// The tasks this member accepted, until each has ended. Every few seconds it asks the coordinator
/// about each one; a coordinator that does not know a task (it started on another member after the
/// old one was lost) gets it again. Task ids make submitting twice harmless.
/// </summary>
public sealed class SubmissionsActor : ReceiveActor, IWithTimers
{
    private sealed record Check;
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    private readonly Dictionary<string, (Submit Task, DateTime Since)> _open = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public SubmissionsActor(IActorRef coordinator, TimeSpan checkInterval)
    {
        Receive<Submit>(submit =>
        {
            _open[submit.TaskId] = (submit, DateTime.UtcNow);
            coordinator.Forward(submit);
        });
        // Answers to resubmissions: a full queue leaves the task open, and the next check submits it again.
        Receive<Submitted>(_ => { });
        Receive<Check>(_ =>
        {
            foreach (var (id, (_, since)) in _open.ToList())
            {
                if (DateTime.UtcNow - since > GiveUpAfter) _open.Remove(id);
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
                case "unknown":
                    coordinator.Tell(open.Task);
                    break;
            }
        });
        _checkInterval = checkInterval;
    }

    private readonly TimeSpan _checkInterval;

    protected override void PreStart() => Timers.StartPeriodicTimer("check", new Check(), _checkInterval);
}

public static class SubmissionsHosting
{
    public static AkkaConfigurationBuilder AddInferenceSubmissions(this AkkaConfigurationBuilder builder, TimeSpan checkInterval) =>
        builder.WithActors((system, registry, _) =>
        {
            var coordinator = registry.Get<CoordinatorActor>();
            registry.Register<SubmissionsActor>(system.ActorOf(Props.Create(() => new SubmissionsActor(coordinator, checkInterval)), "inference-submissions"));
        });
}
