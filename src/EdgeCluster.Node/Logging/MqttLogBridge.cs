using MQTTnet.Diagnostics.Logger;

namespace EdgeCluster.Node.Logging;

/// <summary>
/// MQTTnet's logger for this node (its ASP.NET Core hosting logs nothing by default): the broker's warnings and errors
/// become lines of the node's log under <c>MQTTnet.&lt;source&gt;</c>, so a connection the broker closed says why. A
/// warning carries its exception's message alone (a board that drops its connection is ordinary); an error, the whole
/// exception. A broken connection (<c>MqttCommunicationException</c>) is a debug line: the door already logs a board
/// that drops without DISCONNECT. A client that breaks the protocol is a warning of one line, not an error of the node.
/// </summary>
public sealed class MqttLogBridge(ILoggerFactory factory) : IMqttNetLogger
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ILogger> _loggers = new();

    public bool IsEnabled => true;

    public void Publish(MqttNetLogLevel level, string source, string message, object[] parameters, Exception exception)
    {
        if (level < MqttNetLogLevel.Warning) return;
        var logger = _loggers.GetOrAdd(source ?? "", s => factory.CreateLogger(string.IsNullOrEmpty(s) ? "MQTTnet" : "MQTTnet." + s));
        var text = parameters is { Length: > 0 } ? string.Format(System.Globalization.CultureInfo.InvariantCulture, message, parameters) : message;
#pragma warning disable CA2254 // MQTTnet's message, already formatted
        if (exception is MQTTnet.Exceptions.MqttCommunicationException && level == MqttNetLogLevel.Warning)
            logger.LogDebug($"{text}: {exception.Message}");
        else if (level == MqttNetLogLevel.Warning || exception is MQTTnet.Exceptions.MqttProtocolViolationException)
            logger.LogWarning(exception is null ? text : $"{text}: {exception.GetType().Name}: {exception.Message}");
        else logger.LogError(exception, text);
#pragma warning restore CA2254
    }
}
