using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace EdgeCluster.Node;

/// <summary>
/// A listening port (HTTP, and the MQTT door's), opened once per process and handed to every incarnation's Kestrel as a duplicate of its file
/// descriptor. When a downed node starts a new actor system and web host, the socket never stops listening:
/// boards that connect in between wait in the kernel's backlog for the new Kestrel instead of being refused.
/// Linux and macOS only; elsewhere (or for a host name that is not an address) the node binds the usual way.
/// </summary>
public sealed class SharedListenSocket : IDisposable
{
    private readonly Socket _socket;

    private SharedListenSocket(Socket socket) => _socket = socket;

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>
    /// Leaves the socket open across the process's next exec (a .NET socket is closed on exec) and answers its file
    /// descriptor, for <see cref="InPlaceRestart"/> to hand over.
    /// </summary>
    public int KeepOpenAcrossExec()
    {
        var fd = (int)_socket.Handle;
        SetCloseOnExec(fd, false);
        return fd;
    }

    /// <summary>A listening socket this process's earlier image left open (<see cref="InPlaceRestart"/>); null for none.</summary>
    public static SharedListenSocket? Adopt(int? descriptor)
    {
        if (descriptor is not { } fd) return null;
        var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
        // Closed on exec again, as every other socket of the process: only the next handover leaves it open.
        SetCloseOnExec(fd, true);
        return new SharedListenSocket(socket);
    }

    private static void SetCloseOnExec(int fd, bool close)
    {
        const int setDescriptorFlags = 2, closeOnExec = 1;
        if (Fcntl(fd, setDescriptorFlags, close ? closeOnExec : 0) < 0)
            throw new IOException($"fcntl F_SETFD on a listening socket failed (errno {Marshal.GetLastPInvokeError()})");
    }

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int cmd, int arg);

    public static SharedListenSocket? TryOpen(NodeSettings settings) => TryOpen(settings.HttpHost, settings.HttpPort, "HTTP", "--http-port");

    /// <summary>A port on the HTTP host's interfaces; null when it is off (port 0).</summary>
    public static SharedListenSocket? TryOpen(NodeSettings settings, int port, string what, string option) =>
        port == 0 ? null : TryOpen(settings.HttpHost, port, what, option);

    /// <summary>
    /// Refuses a port that a running process listens on, and keeps nothing open: Akka.Remote binds its own port (DotNetty,
    /// with .NET's ReuseAddress, so SO_REUSEPORT as well on Linux), and a second node given a running node's Akka port
    /// bound it beside the first without a word. A node started again in place still binds it at once: the probe, like
    /// the node's other listeners, allows an address whose last connections linger in TIME_WAIT.
    /// </summary>
    public static void EnsureFree(string host, int port, string what, string option)
    {
        if (port == 0) return;
        using var probe = TryOpen(host, port, what, option);
    }

    private static SharedListenSocket? TryOpen(string host, int port, string what, string option)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        var any = host is "0.0.0.0" or "*" or "::";
        IPAddress? address = any ? null : host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (!any && address is null) return null;
        Socket socket;
        if (any)
        {
            try
            {
                socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
                Bind(socket, new IPEndPoint(IPAddress.IPv6Any, port), what, option);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressFamilyNotSupported or SocketError.AddressNotAvailable)
            {
                // No IPv6 on this host (some containers): IPv4 only.
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                Bind(socket, new IPEndPoint(IPAddress.Any, port), what, option);
            }
        }
        else
        {
            socket = new Socket(address!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            Bind(socket, new IPEndPoint(address, port), what, option);
        }
        return new SharedListenSocket(socket);
    }

    private static void Bind(Socket socket, IPEndPoint endpoint, string what, string option)
    {
        try
        {
            ReuseAddressOnly(socket);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new IOException($"{what} port {endpoint.Port} is already in use (set {option})", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// SO_REUSEADDR, so a node started again binds its port while connections of its last run linger in TIME_WAIT; and not
    /// SO_REUSEPORT, which .NET's <see cref="SocketOptionName.ReuseAddress"/> also sets on Linux and macOS: with it a second
    /// node given the same port bound it beside the first without a word, the kernel sharing the connections between them.
    /// </summary>
    private static void ReuseAddressOnly(Socket socket)
    {
        // SOL_SOCKET and SO_REUSEADDR: 1 and 2 on Linux, 0xffff and 4 on macOS.
        var (level, name) = OperatingSystem.IsLinux() ? (1, 2) : (0xffff, 4);
        socket.SetRawSocketOption(level, name, BitConverter.GetBytes(1));
    }

    /// <summary>A new descriptor for the same listening socket: Kestrel may close its copy when it stops.</summary>
    public ulong Duplicate()
    {
        var fd = Dup((int)_socket.Handle);
        if (fd < 0) throw new IOException($"dup of a listening socket failed (errno {Marshal.GetLastPInvokeError()})");
        return (ulong)fd;
    }

    [DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    public void Dispose() => _socket.Dispose();
}

/// <summary>
/// The node's listening sockets, opened once per process (<see cref="SharedListenSocket"/>): HTTP, and when their
/// ports are set, the MQTT door, HTTPS and MQTT over TLS. A null member: Kestrel binds that port itself.
/// </summary>
public sealed record NodeListeners(SharedListenSocket? Http, SharedListenSocket? Mqtt, SharedListenSocket? Https, SharedListenSocket? MqttTls)
    : IDisposable
{
    public static NodeListeners Open(NodeSettings settings)
    {
        SharedListenSocket.EnsureFree(settings.AkkaHost, settings.AkkaPort, "Akka", "--akka-port");
        var opened = new List<SharedListenSocket?>();
        try
        {
            opened.Add(SharedListenSocket.TryOpen(settings));
            opened.Add(SharedListenSocket.TryOpen(settings, settings.MqttPort, "MQTT", "--mqtt-port"));
            opened.Add(SharedListenSocket.TryOpen(settings, settings.HttpsPort, "HTTPS", "--https-port"));
            opened.Add(SharedListenSocket.TryOpen(settings, settings.MqttTlsPort, "MQTT TLS", "--mqtt-tls-port"));
            return new NodeListeners(opened[0], opened[1], opened[2], opened[3]);
        }
        catch
        {
            foreach (var socket in opened) socket?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http?.Dispose();
        Mqtt?.Dispose();
        Https?.Dispose();
        MqttTls?.Dispose();
    }
}
