using EdgeCluster.Contracts;
using Akka.Actor;
using Akka.Cluster;
using EdgeCluster.Domain;
using EdgeCluster.Node.Logging;
using EdgeCluster.Storage;

namespace EdgeCluster.Node.Http;

public static class Routes
{
    /// <summary>All of the node's HTTP API, with JSON errors for unknown paths and wrong methods.</summary>
    public static void MapEdgeApi(this WebApplication app)
    {
        app.UseExceptionHandler(error => error.Run(async http =>
        {
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await http.Response.WriteAsJsonAsync(new ApiError("internal error; the node log has the details"));
        }));
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var message = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => $"no endpoint at {http.Request.Path}",
                StatusCodes.Status405MethodNotAllowed => $"{http.Request.Method} is not allowed on {http.Request.Path}",
                StatusCodes.Status413PayloadTooLarge => $"request body is larger than {NodeHost.MaxBodyBytes} bytes",
                _ => $"request failed with status {http.Response.StatusCode}",
            };
            await http.Response.WriteAsJsonAsync(new ApiError(message));
        });

        // The dashboard at /: its files are embedded in the node (wwwroot/), served with a short cache.
        var files = new Microsoft.Extensions.FileProviders.EmbeddedFileProvider(typeof(Routes).Assembly, "EdgeCluster.Node.wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "public, max-age=300",
        });

        app.MapOpenApi();
        app.MapEventsEndpoints();
        app.MapReadingEndpoints();
        app.MapDeviceEndpoints();
        app.MapQueryEndpoints();
        app.MapAnalyticsEndpoints();
        app.MapClusterEndpoints();
        app.MapKeyValueEndpoints();
        app.MapInferenceEndpoints();
        app.MapAdminEndpoints();
        app.MapLogEndpoints();
        app.MapUplinkEndpoints();
        app.MapMqttEndpoints();
        app.MapStorageEndpoints();
        app.MapGet("/api/health", (NodeSettings settings, ActorSystem system) =>
        {
            var cluster = Cluster.Get(system);
            return TypedResults.Ok(new HealthView("ok", settings.NodeName, cluster.SelfAddress.ToString(), cluster.SelfMember.Status.ToString()));
        });
    }

    public static bool TryDeviceId(string text, out int deviceId, out IResult error)
    {
        error = Results.Empty;
        deviceId = 0;
        if (ReadingValidator.TryInteger(text, out var id) && id >= 1 && id <= int.MaxValue)
        {
            deviceId = (int)id;
            return true;
        }
        error = ApiErrors.BadRequest("device_id", $"device_id '{text}' must be a positive integer");
        return false;
    }
}
