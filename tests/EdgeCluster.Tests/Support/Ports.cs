using System.Net;
using System.Net.Sockets;

namespace EdgeCluster.Tests.Support;

public static class Ports
{
    /// <summary>The first of <paramref name="length"/> consecutive loopback ports that are free now (a lab numbers its nodes' ports so).</summary>
    public static int FreeRun(int length)
    {
        while (true)
        {
            var first = NodeProcess.FreePort();
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
