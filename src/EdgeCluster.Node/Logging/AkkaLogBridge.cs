using System.Collections.Concurrent;
using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Event;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace EdgeCluster.Node.Logging;

/// <summary>
/// Akka's logger for this node: each Akka log event becomes one Microsoft.Extensions.Logging line whose category is the
/// class that logged (<c>EdgeCluster.Actors.Journal.ReadingJournalActor</c>, <c>Akka.Cluster.Cluster</c>) and whose text
/// is the message alone, so Akka's lines and ASP.NET Core's share one format, and filters work per class.
/// </summary>
public sealed class AkkaLogBridge : ReceiveActor, Akka.Dispatch.IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly System.Text.RegularExpressions.Regex RemotePeer = new(@"->(\S+?)\]\(Id=");
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new();
    private readonly Dictionary<string, DateTime> _plainPeersLogged = new();
    private readonly ILoggerFactory _factory;

    public AkkaLogBridge()
    {
        _factory = DependencyResolver.For(Context.System).Resolver.GetService<ILoggerFactory>();
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        var category = e.LogClass?.FullName ?? e.LogSource;
        var logger = _loggers.GetOrAdd(category, _factory.CreateLogger);
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MsLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MsLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MsLogLevel.Warning,
            _ => MsLogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        var message = e.Message?.ToString() ?? "";
#pragma warning disable CA2254 // the message is Akka's, already formatted
        logger.Log(level, e.Cause, message);
#pragma warning restore CA2254
        ExplainPlainRemoting(logger, message);
    }

    /// <summary>
    /// A member with remoting over TLS that a plain-remoting node connects to logs only DotNetty's "not an SSL/TLS
    /// record"; this adds the line that says what it means (at most once a minute per peer address).
    /// </summary>
    private void ExplainPlainRemoting(ILogger logger, string message)
    {
        if (!message.StartsWith("TLS handshake failed on channel", StringComparison.Ordinal)
            || !message.Contains("not an SSL/TLS record", StringComparison.Ordinal)) return;
        var peer = RemotePeer.Match(message) is { Success: true } m ? m.Groups[1].Value : "a peer";
        var host = peer.LastIndexOf(':') is var colon and > 0 ? peer[..colon] : peer;
        var now = DateTime.UtcNow;
        if (_plainPeersLogged.TryGetValue(host, out var last) && now - last < TimeSpan.FromMinutes(1)) return;
        _plainPeersLogged[host] = now;
        logger.LogError("Remoting TLS: refused {Peer}: it does not speak TLS (a node started without --tls-dir?). Only machines " +
                        "with a certificate from this lab's CA may join (make one with: edgectl certs add --ca <CA folder> <node>)", peer);
    }
}
