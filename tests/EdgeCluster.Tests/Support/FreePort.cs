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

    /// <summary>
    /// The first of <paramref name="count"/> consecutive ports that are all free now (a lab numbers its nodes' ports up
    /// from a base; the port after a free one may well be another test's).
    /// </summary>
    public static int Run(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Next();
            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 1; i < count; i++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, first + i);
                    listener.Start();
                    listeners.Add(listener);
                }
                return first;
            }
            catch (SocketException) { }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found");
    }
}
