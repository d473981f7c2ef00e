using System.Net;
using System.Net.Sockets;

namespace EdgeCluster.Tests.Support;

/// <summary>
/// Loopback ports for what must be told its ports in advance (a lab started by edgectl numbers its nodes' ports from a
/// base). Nodes started by the tests themselves bind port 0 and report what they bound (NodeProcess).
/// </summary>
public static class Ports
{
    /// <summary>A loopback port that is free now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The first of <paramref name="length"/> consecutive loopback ports that are free now (a lab numbers its nodes' ports so).</summary>
    public static int FreeRun(int length)
    {
        while (true)
        {
            var first = FreePort();
            if (first + length <= 65535 && Enumerable.Range(1, length - 1).All(i => Free(first + i))) return first;
        }
    }

    /// <summary>Whether nothing listens on the loopback port now.</summary>
    public static bool Free(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
