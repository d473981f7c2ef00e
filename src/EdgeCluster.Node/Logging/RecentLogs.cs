using EdgeCluster.Contracts;

namespace EdgeCluster.Node.Logging;

/// <summary>
/// The node's newest log lines (Akka's and ASP.NET Core's alike), kept in memory for <c>edgectl log peek | tail</c>.
/// Lives in the process, not in one actor system, so the lines from before a rejoin stay.
/// </summary>
public sealed class RecentLogs(int capacity = 2000) : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly Queue<LogLine> _lines = new();
    private long _seq;

    /// <summary>The newest <paramref name="last"/> lines, or every kept line after <paramref name="after"/>.</summary>
    public (IReadOnlyList<LogLine> Lines, long Next) Read(int last, long? after)
    {
        lock (_gate)
        {
            var lines = after is { } a ? _lines.Where(l => l.Seq > a).ToList() : _lines.TakeLast(last).ToList();
            return (lines, _seq);
        }
    }

    /// <summary>Every kept line and the last sequence number given: what the process hands to its next image.</summary>
    internal (IReadOnlyList<LogLine> Lines, long Seq) Export()
    {
        lock (_gate) return (_lines.ToList(), _seq);
    }

    /// <summary>Takes the lines an earlier image of this process kept, before any line of its own.</summary>
    internal void Import(IReadOnlyList<LogLine> lines, long seq)
    {
        lock (_gate)
        {
            var own = _lines.ToList();
            _lines.Clear();
            foreach (var line in lines.TakeLast(capacity)) _lines.Enqueue(line);
            _seq = Math.Max(_seq, seq);
            foreach (var line in own) _lines.Enqueue(line with { Seq = ++_seq });
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    internal void Add(LogLevel level, string category, string text)
    {
        lock (_gate)
        {
            var line = new LogLine(++_seq, DateTimeOffset.UtcNow, LevelName(level), category, text);
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(RecentLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            if (exception is not null) text += $" ({exception.GetType().Name}: {exception.Message})";
            var at = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff");
            logs.Add(logLevel, category, $"{at} {LevelName(logLevel)}: {category} {text}");
        }
    }
}
