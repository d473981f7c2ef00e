using System.Text.Json;
using EdgeCluster.Tests.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCluster.Tests.Http;

/// <summary>/openapi/v1.json describes the API: every route the node maps, with each of its methods.</summary>
[Collection(SingleNodeProcessCollection.Name)]
public sealed class OpenApiTests
{
    [Fact]
    public async Task Every_mapped_route_and_method_is_in_the_document()
    {
        using var dir = new TempDir();
        await using var node = await TestNode.StartAsync(dir.Path, "openapi-node");
        var response = await node.Http.GetAsync("/openapi/v1.json");
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");

        var routes = node.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            // /metrics speaks Prometheus's text exposition format, which that format documents.
            .Where(e => e.RoutePattern.RawText is { } raw && raw != "/openapi/{documentName}.json" && raw != "/metrics")
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (Path: "/" + e.RoutePattern.RawText!.TrimStart('/'), Method: method.ToLowerInvariant())))
            .Distinct().ToList();
        Assert.True(routes.Count >= 25, $"only {routes.Count} routes mapped");
        Assert.Contains(routes, r => r.Path == "/api/reading" && r.Method == "post");
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from /openapi/v1.json");
            Assert.True(item.TryGetProperty(method, out _), $"{method.ToUpperInvariant()} {path} is missing from /openapi/v1.json");
        }
    }
}
