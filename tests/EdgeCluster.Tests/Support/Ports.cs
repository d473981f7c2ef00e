using System.Net;
using System.Net.Sockets;

namespace EdgeCluster.Tests.Support;

public static class Ports
{
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
