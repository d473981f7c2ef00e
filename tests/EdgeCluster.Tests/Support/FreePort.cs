using System.Net;
using System.Net.Sockets;

namespace EdgeCluster.Tests.Support;

/// <summary>A TCP port free on loopback now, for a server that takes its port as a setting (0 means something else to it).</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
