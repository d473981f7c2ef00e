using System.Net;
using EdgeCluster.Node;
using EdgeCluster.Node.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCluster.Tests.Http;

/// <summary>
/// Who may use /api/admin. Over real HTTP the tests only ever come from loopback, so the rule for other addresses is
/// checked on the guard itself (the namespace experiment uses the token over a real network).
/// </summary>
public sealed class AdminGuardTests
{
    private static int? Status(string? token, string remote, string? authorization = null)
    {
        var http = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton(new NodeSettings { AdminToken = token }).BuildServiceProvider(),
        };
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (authorization is not null) http.Request.Headers.Authorization = authorization;
        return (AdminEndpoints.Guard(http) as IStatusCodeHttpResult)?.StatusCode;
    }

    [Fact]
    public void Without_a_token_only_loopback_clients_are_let_in()
    {
        Assert.Null(Status(null, "127.0.0.1"));
        Assert.Null(Status(null, "::1"));
        Assert.Null(Status(null, "::ffff:127.0.0.1"));
        Assert.Equal(403, Status(null, "192.168.1.20"));
        Assert.Equal(403, Status(null, "10.77.0.1", "Bearer anything"));
    }

    [Fact]
    public void With_a_token_every_client_needs_it_even_on_loopback()
    {
        Assert.Null(Status("s3cret", "192.168.1.20", "Bearer s3cret"));
        Assert.Equal(401, Status("s3cret", "192.168.1.20", "Bearer guess"));
        Assert.Equal(401, Status("s3cret", "127.0.0.1"));
        Assert.Equal(401, Status("s3cret", "127.0.0.1", "s3cret"));
    }
}
