namespace EdgeCluster.Contracts;

/// <summary>
/// A stored reading as the MQTT door publishes it on <c>sensors/{device}/reading</c> to subscribers of any member: each
/// reading this member stored, accepted here or replicated, once.
/// </summary>
public sealed record ReadingMessage(int DeviceId, string Timestamp, string ReceivedAt, double Temperature, double Humidity, long? Seq,
    string OriginNode, long OriginSeq);

/// <summary>The lab subscriber's alert on <c>edge/alerts/{device}</c>: a temperature out of the configured range.</summary>
public sealed record AlertMessage(int DeviceId, string Alert, double Temperature, double Threshold, string Timestamp, string OriginNode);

/// <summary>What a rejected publish of an MQTT 3.1.1 client (which has no negative acknowledgement) is told on <c>edge/errors/{client_id}</c>.</summary>
public sealed record PublishError(string Error, string Field, string Topic);

/// <summary>GET /api/mqtt: the MQTT door of this member.</summary>
public sealed record MqttView(bool Enabled, int? Port, string? WebSocketPath, int Clients, long Stored, long Rejected, long Refused,
    long Qos0, long Qos1, long Qos2, long Delivered);
