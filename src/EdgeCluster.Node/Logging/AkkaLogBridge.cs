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
    private readonly ConcurrentDictionary<string, ILogger> _loggers = new();
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
#pragma warning disable CA2254 // the message is Akka's, already formatted
        logger.Log(level, e.Cause, e.Message?.ToString() ?? "");
#pragma warning restore CA2254
    }
}
