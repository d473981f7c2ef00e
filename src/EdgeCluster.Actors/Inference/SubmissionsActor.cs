using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Hosting;
using EdgeCluster.Actors.Durable;
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
/// twice harmless. A task is forgotten only once its end is written to a majority of members: a member the cluster
/// downed while it was paused runs on, unaware, until it hears so; what ended there alone would be lost with it.
/// <para>
/// What this member accepted outlives its actor system and its process: each task is written to this member's durable
/// replicated key <c>inference-accepted-&lt;node&gt;</c> (in &lt;data-dir&gt;/ddata.db) before it goes anywhere, and
/// taken out once it ended. A member that was downed and starts again, or was killed and started again, reads the key
/// back and hands what it holds to the coordinator again.
/// </para>
/// <para>
/// Its writes go out in rounds (<see cref="WriteRounds"/>): the tasks accepted while the last write of the key was on its
/// way to disk go to disk together, and are acknowledged together. A task the coordinator ends is forgotten when the
/// coordinator says its end is on a majority (<see cref="TaskEnded"/>); the checks above are for what that misses (the
/// coordinator moved, the write timed out).
/// </para>
/// </summary>
public sealed class SubmissionsActor : ReceiveActor, IWithTimers
{
    private sealed record Check;
    private sealed record NoAnswer(string TaskId);
    private sealed record Looked(string TaskId, EndedTask? Ended, bool SubmitIfNotEnded);
    private sealed record Confirmed(string TaskId);
    private sealed record Kept(Submit Task, IActorRef Asker);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromHours(1);

    private readonly Dictionary<string, (Submit Task, DateTime Since)> _open = new();
    // Who asked, while the coordinator has not answered yet.
    private readonly Dictionary<string, IActorRef> _asking = new();
    // Accepted here while no coordinator answered; not yet taken by one.
    private readonly HashSet<string> _held = new();
    private readonly TimeSpan _checkInterval;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly IActorRef? _replicator;
    private readonly LWWDictionaryKey<string, Submit>? _acceptedKey;
    private readonly UniqueAddress? _self;
    // The accepted key, on this member's disk; the confirmed ends, on a majority: two rounds, so a slow majority does not
    // hold up accepting tasks.
    private readonly WriteRounds? _kept;
    private readonly WriteRounds? _confirms;
    private static readonly IWriteConsistency ConfirmWrite = new WriteMajority(TimeSpan.FromSeconds(3));

    /// <summary>The durable key of the tasks a member accepted and has not seen end.</summary>
    public static LWWDictionaryKey<string, Submit> AcceptedKey(string node) => new($"inference-accepted-{node}");

    /// <param name="replicator">
    /// Where the ended tasks every member keeps are read (InferenceResults) and this member's accepted tasks are kept
    /// (<paramref name="node"/>'s durable key); null: neither (tests of the hand-over alone).
    /// </param>
    public SubmissionsActor(IActorRef coordinator, TimeSpan checkInterval, TimeSpan answerWithin, int holdCapacity, IActorRef? replicator = null,
        string? node = null)
    {
        _checkInterval = checkInterval;
        _replicator = replicator;
        _acceptedKey = replicator is not null && node is not null ? AcceptedKey(node) : null;
        if (replicator is not null)
        {
            _self = Cluster.Get(Context.System).SelfUniqueAddress;
            _kept = new WriteRounds(replicator, Self);
            _confirms = new WriteRounds(replicator, Self);
        }
        Receive<Submit>(submit =>
        {
            if (_acceptedKey is null) Self.Forward(new Kept(submit, Sender));
            else
            {
                // On this member's disk first: acknowledged to the client only once kept.
                _kept!.Queue(_acceptedKey, LWWDictionary<string, Submit>.Empty, WriteLocal.Instance, d => d.SetItem(_self!, submit.TaskId, submit),
                    new Kept(submit, Sender));
                _kept.Flush();
            }
        });
        Receive<IUpdateResponse>(u => _kept?.Owns(u) == true, u =>
        {
            foreach (var kept in _kept!.Answered(u).Cast<Kept>())
                if (u.IsSuccessful) Self.Tell(kept);
                else kept.Asker.Tell(new Submitted(kept.Task.TaskId, SubmitResult.NotKept, _held.Count));
        });
        // The tasks' ends are on a majority of members now: this member may forget them.
        Receive<IUpdateResponse>(u => _confirms?.Owns(u) == true, u =>
        {
            foreach (var confirmed in _confirms!.Answered(u).Cast<Confirmed>())
                if (u.IsSuccessful) Forget(confirmed.TaskId);
        });
        Receive<TaskEnded>(ended => Forget(ended.TaskId));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => { });
        Receive<Kept>(kept =>
        {
            var submit = kept.Task;
            _open[submit.TaskId] = (submit, DateTime.UtcNow);
            _asking[submit.TaskId] = kept.Asker;
            coordinator.Tell(submit);
            Timers.StartSingleTimer("answer-" + submit.TaskId, new NoAnswer(submit.TaskId), answerWithin);
        });
        // What this member accepted before its actor system (or its process) started again: held, and handed on at the next check.
        Receive<GetSuccess>(got => got.Key.Equals(_acceptedKey), got =>
        {
            foreach (var (id, task) in got.Get(_acceptedKey!).Entries)
            {
                if (_open.ContainsKey(id)) continue;
                _open[id] = (task, DateTime.UtcNow);
                _held.Add(id);
            }
        });
        Receive<NotFound>(_ => { });
        Receive<GetFailure>(_ => { });
        Receive<Submitted>(submitted =>
        {
            Timers.Cancel("answer-" + submitted.TaskId);
            if (_asking.Remove(submitted.TaskId, out var asker))
            {
                asker.Tell(submitted);
                // Told to retry later: the task is not this member's to keep.
                if (submitted.Result == SubmitResult.QueueFull) Forget(submitted.TaskId);
            }
            if (submitted.Result is SubmitResult.Accepted or SubmitResult.AlreadyKnown) _held.Remove(submitted.TaskId);
        });
        Receive<NoAnswer>(none =>
        {
            if (!_asking.Remove(none.TaskId, out var asker)) return;
            if (_held.Count >= holdCapacity)
            {
                Forget(none.TaskId);
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
                if (DateTime.UtcNow - since > GiveUpAfter) Forget(id);
                else if (_held.Contains(id)) coordinator.Tell(task);
                else coordinator.Tell(new GetTask(id));
            }
        });
        Receive<InferenceProtocol.TaskStatus>(status =>
        {
            if (!_open.TryGetValue(status.TaskId, out var open)) return;
            switch (status.State)
            {
                case "completed" or "failed" when replicator is null:
                    Forget(status.TaskId);
                    break;
                case "completed" or "failed":
                    // Forgotten only once its end is on a majority: a coordinator on a member the cluster has downed (and
                    // that does not know it yet) can end a task whose result no other member will ever take.
                    Look(replicator, status.TaskId, submitIfNotEnded: false);
                    break;
                case "unknown" when replicator is null:
                    coordinator.Tell(open.Task);
                    break;
                case "unknown":
                    // A new coordinator knows nothing of tasks its predecessor ended: ask the kept results before running one again.
                    Look(replicator, status.TaskId, submitIfNotEnded: true);
                    break;
            }
        });
        Receive<Looked>(looked =>
        {
            if (!_open.TryGetValue(looked.TaskId, out var open)) return;
            if (looked.Ended is { } ended)
            {
                // The same ended task written again, to a majority: a member the cluster downed without knowing it yet cannot
                // reach one, so what ended only there is not taken for ended.
                _confirms!.Queue(InferenceResults.KeyOf(ended.TaskId), LWWDictionary<string, EndedTask>.Empty, ConfirmWrite,
                    InferenceResults.Add(_self!, ended), new Confirmed(looked.TaskId));
                _confirms.Flush();
            }
            else if (looked.SubmitIfNotEnded) coordinator.Tell(open.Task);
        });
    }

    private void Look(IActorRef replicator, string taskId, bool submitIfNotEnded) =>
        InferenceResults.FindAsync(replicator, taskId, TimeSpan.FromSeconds(1))
            .PipeTo(Self, success: ended => new Looked(taskId, ended, submitIfNotEnded), failure: _ => new Looked(taskId, null, submitIfNotEnded));

    /// <summary>A task this member need not keep any longer (it ended, or it was refused): out of memory and off the disk.</summary>
    private void Forget(string taskId)
    {
        _open.Remove(taskId);
        _held.Remove(taskId);
        if (_acceptedKey is null) return;
        _kept!.Queue(_acceptedKey, LWWDictionary<string, Submit>.Empty, WriteLocal.Instance, d => d.Remove(_self!, taskId));
        _kept.Flush();
    }

    /// <summary>The state of a task this member holds because no coordinator answered when it came.</summary>
    public const string HeldState = "queued (no coordinator yet)";

    // What is queued still goes to the replicator (tasks forgotten; accepted ones are not acknowledged, their askers time out).
    protected override void PostStop()
    {
        _kept?.FlushNow();
        _confirms?.FlushNow();
    }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("check", new Check(), _checkInterval);
        if (_acceptedKey is not null) _replicator!.Tell(Dsl.Get(_acceptedKey, ReadLocal.Instance));
    }
}

public static class SubmissionsHosting
{
    public static AkkaConfigurationBuilder AddInferenceSubmissions(this AkkaConfigurationBuilder builder, TimeSpan checkInterval,
        TimeSpan answerWithin, int holdCapacity, string node) =>
        builder.WithActors((system, registry, _) =>
        {
            var coordinator = registry.Get<CoordinatorActor>();
            registry.Register<SubmissionsActor>(system.ActorOf(
                Props.Create(() => new SubmissionsActor(coordinator, checkInterval, answerWithin, holdCapacity,
                    DistributedData.Get(system).Replicator, node)), "inference-submissions"));
        });
}
