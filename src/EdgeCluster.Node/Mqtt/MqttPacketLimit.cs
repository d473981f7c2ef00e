using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace EdgeCluster.Node.Mqtt;

/// <summary>
/// Closes an MQTT connection whose next packet announces more than <see cref="MaxPacketBytes"/>, as soon as its fixed
/// header has arrived: MQTTnet reads a whole packet into memory before the door sees it, so without this one client
/// could make a node hold 256 MB (the most MQTT can announce) per connection. Sits between Kestrel (after TLS) and
/// MQTTnet on the MQTT ports, and only reads the byte stream's frame lengths as it passes.
/// </summary>
public static class MqttPacketLimit
{
    /// <summary>
    /// Four times the largest payload the door takes (1 MiB, as an HTTP body): a payload between the two is still read and
    /// refused with a reason the client can see (MQTT 5: "payload format invalid"); beyond, the connection is closed.
    /// </summary>
    public const long MaxPacketBytes = 4 * 1024 * 1024;

    public static Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions UseMqttPacketLimit(
        this Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
    {
        var log = listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MqttPacketLimit).FullName!);
        listen.Use(next => connection =>
        {
            var transport = connection.Transport;
            var remote = connection.RemoteEndPoint?.ToString() ?? "a client";
            connection.Transport = new Pipe(new LimitedReader(transport.Input, MaxPacketBytes, announced =>
                log.LogWarning("MQTT: closed the connection of {Remote}: its packet announced {Bytes} bytes, over the limit of {Limit}",
                    remote, announced, MaxPacketBytes)), transport.Output);
            return next(connection);
        });
        return listen;
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    /// <summary>Passes the inner reader's buffers on unchanged, following MQTT's framing (fixed header, remaining length, body) as they pass.</summary>
    internal sealed class LimitedReader(PipeReader inner, long max, Action<long> refused) : PipeReader
    {
        private long _consumed;   // stream position of the inner buffer's start
        private long _scanned;    // stream position up to which the framing has been followed
        private ReadOnlySequence<byte> _last;
        private int _state;       // 0: a packet's first byte; 1: its remaining length; 2: its body
        private long _length;
        private long _multiplier;
        private int _lengthBytes;
        private long _left;

        public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            var result = await inner.ReadAsync(cancellationToken);
            Follow(result.Buffer);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result)) return false;
            Follow(result.Buffer);
            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            _consumed += _last.Slice(_last.Start, consumed).Length;
            inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        private void Follow(ReadOnlySequence<byte> buffer)
        {
            _last = buffer;
            var from = Math.Max(0, _scanned - _consumed);
            if (from >= buffer.Length) return;
            foreach (var memory in buffer.Slice(from))
            {
                var span = memory.Span;
                var i = 0;
                while (i < span.Length)
                {
                    switch (_state)
                    {
                        case 0:
                            _state = 1;
                            _length = 0;
                            _multiplier = 1;
                            _lengthBytes = 0;
                            i++;
                            break;
                        case 1:
                            var b = span[i++];
                            _length += (b & 0x7F) * _multiplier;
                            _multiplier *= 128;
                            _lengthBytes++;
                            if ((b & 0x80) != 0)
                            {
                                if (_lengthBytes == 4) throw Refuse(_length);
                                break;
                            }
                            if (_length > max) throw Refuse(_length);
                            _left = _length;
                            _state = _left == 0 ? 0 : 2;
                            break;
                        default:
                            var skip = (int)Math.Min(_left, span.Length - i);
                            i += skip;
                            _left -= skip;
                            if (_left == 0) _state = 0;
                            break;
                    }
                }
            }
            _scanned = _consumed + buffer.Length;
        }

        private InvalidDataException Refuse(long announced)
        {
            refused(announced);
            return new InvalidDataException($"an MQTT packet of {announced} bytes is over the limit of {max}");
        }
    }
}
