using EdgeCluster.Contracts;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Hosting;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Domain;
using EdgeCluster.Domain.Inference;
using static EdgeCluster.Actors.Inference.InferenceProtocol;

namespace EdgeCluster.Node.Http;

/// <summary>
/// POST /api/inference, GET /api/inference/{task_id}, GET /api/inference/stats: the coordinator through its singleton proxy;
/// GET /api/inference/results: ended tasks as every member keeps them.
/// </summary>
public static class InferenceEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    // A task's status: a coordinator answers in milliseconds; without one, this member says what it holds sooner.
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    public static void MapInferenceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/inference/stats", async (IRequiredActor<CoordinatorActor> coordinator) =>
        {
            try
            {
                var stats = await coordinator.ActorRef.Ask<CoordinatorStats>(new GetStats(), AskTimeout);
                return TypedResults.Ok(new CoordinatorStatsView(stats.CoordinatorNode, stats.Workers.Length,
                    stats.Workers.Count(w => w.Status != "offline"), stats.Workers.Count(w => w.Status == "idle"),
                    stats.Workers.Count(w => w.Status == "busy"),
                    stats.Workers.Select(w => new WorkerView(w.WorkerId, w.Node, w.Status, w.ModelTypes, w.Capacity, w.Running, w.Completed)).ToList(),
                    new QueueDepth(stats.QueueHigh, stats.QueueMedium, stats.QueueLow), stats.CompletedTasks, stats.FailedTasks,
                    new AssignmentLatency(stats.AssignP50Ms, stats.AssignP99Ms, stats.AssignSamples)));
            }
            catch (AskTimeoutException)
            {
                return ApiErrors.Unavailable("no inference coordinator answered: is a member with the coordinator role up?");
            }
        });

        app.MapPost("/api/inference", async (HttpContext http, IRequiredActor<CoordinatorActor> coordinator,
            IRequiredActor<SubmissionsActor> submissions, NodeSettings settings) =>
        {
            if (!TryWait(http.Request, out var wait, out var waitError)) return waitError;
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            var json = body.Json!.Value;
            if (json.ValueKind != JsonValueKind.Object) return ApiErrors.BadRequest("body", "body must be a JSON object with model_type and device_id");
            var modelType = RequestInput.Field(json, "model_type") as string;
            var models = InferenceSettings.Models.Select(m => m.ModelType).ToList();
            if (modelType is null || !models.Contains(modelType))
                return ApiErrors.BadRequest("model_type", $"model_type must be one of: {string.Join(", ", models)}");
            if (!ReadingValidator.TryInteger(RequestInput.Field(json, "device_id"), out var deviceId) || deviceId < 1 || deviceId > int.MaxValue)
                return ApiErrors.BadRequest("device_id", "device_id must be a positive integer");
            var priorityText = (RequestInput.Field(json, "priority") as string ?? "medium").ToLowerInvariant();
            if (!Enum.TryParse<Priority>(priorityText, ignoreCase: true, out var priority) || int.TryParse(priorityText, out _))
                return ApiErrors.BadRequest("priority", "priority must be high, medium or low");

            var taskId = Guid.NewGuid().ToString("N");
            Submitted submitted;
            try
            {
                // Through this member's submissions, which submit it again should the coordinator move before it ends.
                submitted = await submissions.ActorRef.Ask<Submitted>(new Submit(taskId, modelType, (int)deviceId, priority, settings.NodeName), AskTimeout);
            }
            catch (AskTimeoutException)
            {
                return ApiErrors.Unavailable("no inference coordinator answered: is a member with the coordinator role up?");
            }
            if (submitted.Result == SubmitResult.NotKept)
                return ApiErrors.Unavailable("this member could not write the task to its disk; nothing was accepted, submit it again");
            if (submitted.Result == SubmitResult.QueueFull)
            {
                http.Response.Headers.RetryAfter = "5";
                return Results.Json(new ApiError($"the inference queue is full ({submitted.QueueDepth} tasks); retry later"),
                    statusCode: StatusCodes.Status429TooManyRequests);
            }
            if (wait > TimeSpan.Zero)
            {
                // The coordinator answers when the task ends; it answers sooner when it stops or does not know the task (yet:
                // held by this member), and then the next one is asked.
                var deadline = DateTime.UtcNow + wait;
                for (var left = wait; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
                {
                    var status = await StatusAsync(coordinator.ActorRef, new AwaitTask(taskId), left < AwaitRound ? left : AwaitRound);
                    if (status is { State: "completed" or "failed" }) return Results.Ok(Describe(status));
                    if (status is not null && deadline - DateTime.UtcNow > TimeSpan.FromMilliseconds(500))
                        await Task.Delay(500, http.RequestAborted);
                }
            }
            var state = submitted.Result == SubmitResult.Held ? SubmissionsActor.HeldState : "queued";
            return TypedResults.Accepted($"/api/inference/{taskId}", new TaskQueued(taskId, state, priorityText));
        });

        // Ended tasks as this member's replica holds them (kept --inference-results-keep-s), oldest first.
        app.MapGet("/api/inference/results", async (HttpRequest request, ActorSystem system) =>
        {
            if (!QueryArgs.TryTime(request, "since", out var since, out var sinceError)) return sinceError!;
            var ended = await InferenceResults.SinceAsync(DistributedData.Get(system).Replicator, since ?? 0, AskTimeout);
            return TypedResults.Ok(new InferenceResultsView(ended.Count, ended.Select(Describe).ToList()));
        });

        app.MapGet("/api/inference/{task_id}", async (string task_id, IRequiredActor<CoordinatorActor> coordinator,
            IRequiredActor<SubmissionsActor> submissions, ActorSystem system) =>
        {
            var status = await StatusAsync(coordinator.ActorRef, task_id);
            if (status is { State: not "unknown" }) return Results.Ok(Describe(status));
            // Ended under a coordinator that has moved since: every member keeps the result for a while.
            if (await InferenceResults.FindAsync(DistributedData.Get(system).Replicator, task_id, StatusTimeout) is { } ended)
                return Results.Ok(Describe(ended));
            // No coordinator answered, or it does not know the task yet: this member may be holding it for the next one.
            var held = await StatusAsync(submissions.ActorRef, task_id);
            if (held is { State: not "unknown" }) return Results.Ok(Describe(held));
            return status is null
                ? ApiErrors.Unavailable("no inference coordinator answered, and this member holds no such task")
                : ApiErrors.NotFound($"no task '{task_id}'", "task_id");
        });
    }

    // How long one AwaitTask is waited for before it is sent again (the coordinator may have been lost with its member).
    private static readonly TimeSpan AwaitRound = TimeSpan.FromSeconds(5);

    private static Task<InferenceProtocol.TaskStatus?> StatusAsync(IActorRef coordinator, string taskId) =>
        StatusAsync(coordinator, new GetTask(taskId), StatusTimeout);

    /// <summary>A task's status as <paramref name="coordinator"/> answers <paramref name="question"/> (GetTask, AwaitTask); null when it does not in time.</summary>
    private static async Task<InferenceProtocol.TaskStatus?> StatusAsync(IActorRef coordinator, object question, TimeSpan timeout)
    {
        try
        {
            return await coordinator.Ask<InferenceProtocol.TaskStatus>(question, timeout);
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static TaskView Describe(InferenceProtocol.TaskStatus s)
    {
        JsonElement? result = null;
        if (s.ResultJson is not null)
        {
            using var doc = JsonDocument.Parse(s.ResultJson);
            result = doc.RootElement.Clone();
        }
        return new TaskView(s.TaskId, s.State, result, s.Reason, s.WorkerId, s.Node, s.Attempts);
    }

    private static TaskView Describe(EndedTask t) =>
        Describe(new InferenceProtocol.TaskStatus(t.TaskId, t.State, t.ResultJson, t.Reason, t.WorkerId, t.Node, t.Attempts)) with
        {
            EndedAt = EdgeCluster.Storage.TimeText.FromUnixMs(t.EndedAtMs),
        };

    private static bool TryWait(HttpRequest request, out TimeSpan wait, out IResult error)
    {
        wait = TimeSpan.Zero;
        error = Results.Empty;
        var text = request.Query["wait"].ToString();
        if (text.Length == 0) return true;
        var number = text.EndsWith('s') ? text[..^1] : text;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && seconds <= MaxWait.TotalSeconds)
        {
            wait = TimeSpan.FromSeconds(seconds);
            return true;
        }
        error = ApiErrors.BadRequest("wait", $"wait must be seconds from 0 to {MaxWait.TotalSeconds}, like 5s");
        return false;
    }
}
