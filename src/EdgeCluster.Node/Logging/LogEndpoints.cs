using EdgeCluster.Contracts;
namespace EdgeCluster.Node.Logging;

/// <summary>
/// GET /api/admin/logs: the node's newest log lines (<c>?last=N</c>, default 50) or those after a cursor (<c>?after=seq</c>);
/// guarded like the rest of the management API.
/// </summary>
public static class LogEndpoints
{
    public static void MapLogEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGroup("/api/admin").AddEndpointFilter(async (context, next) => Http.AdminEndpoints.Guard(context.HttpContext) ?? await next(context))
            .MapGet("/logs", ReadLogs);

    private static Microsoft.AspNetCore.Http.HttpResults.Results<Microsoft.AspNetCore.Http.HttpResults.Ok<LogsView>, Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ApiError>>
        ReadLogs(HttpRequest request, RecentLogs logs)
    {
        var last = 50;
        if (request.Query["last"] is { Count: > 0 } l && (!int.TryParse(l[0], out last) || last is < 1 or > 2000))
            return TypedResults.Json(new ApiError("last must be a whole number from 1 to 2000", "last"), statusCode: 400);
        long? after = null;
        if (request.Query["after"] is { Count: > 0 } a)
        {
            if (!long.TryParse(a[0], out var cursor) || cursor < 0)
                return TypedResults.Json(new ApiError("after must be a line number from an earlier answer's next", "after"), statusCode: 400);
            after = cursor;
        }
        var (lines, next) = logs.Read(last, after);
        return TypedResults.Ok(new LogsView(lines, next));
    }
}
