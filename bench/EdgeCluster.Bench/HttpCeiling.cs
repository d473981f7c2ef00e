using EdgeCluster.Contracts;
using EdgeCluster.Domain;
using EdgeCluster.Node.Http;
using EdgeCluster.Storage;

/// <summary>
/// The HTTP ceiling of the single-reading POST on this machine: a bare ASP.NET Core minimal API with the node's Kestrel
/// and GC settings that reads the body, parses and validates the reading exactly as the node does (the node's own
/// <see cref="RequestInput"/> and <see cref="ReadingValidator"/>) and answers the node's reply, storing nothing.
/// bench/run.sh puts it beside the node and the lab's Flask API.
/// </summary>
public static class HttpCeiling
{
    public static async Task<int> RunAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port));
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        var app = builder.Build();
        app.MapPost("/api/reading", async (HttpContext http) =>
        {
            var body = await RequestInput.ReadJsonAsync(http.Request, http.RequestAborted);
            if (body.Error is not null) return body.Error;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var (reading, error) = ReadingValidator.Validate(RequestInput.RawReadingFrom(body.Json!.Value), now);
            if (error is not null) return ApiErrors.BadRequest(error.Field, error.Message);
            var r = reading!;
            return TypedResults.Ok(new ReadingAccepted("success", "eventual", false, r.DeviceId, TimeText.FromUnixMs(r.DeviceTimeMs),
                TimeText.FromUnixMs(r.ReceivedAtMs), r.Temperature, r.Humidity, r.Seq, "ceiling", 0));
        });
        Console.WriteLine($"HTTP ceiling on http://127.0.0.1:{port}/api/reading");
        await app.RunAsync();
        return 0;
    }
}
