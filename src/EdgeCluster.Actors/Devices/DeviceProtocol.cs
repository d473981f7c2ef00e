using Akka.Actor;
using EdgeCluster.Domain;

namespace EdgeCluster.Actors.Devices;

public static class DeviceProtocol
{
    public interface IDeviceCommand
    {
        int DeviceId { get; }
    }

    /// <summary>Holds a request's seqs for this device while it is written; answered by <see cref="Reserved"/> or <see cref="UnknownDevice"/>.</summary>
    public sealed record Reserve(int DeviceId, long RequestId, IReadOnlyList<long> Seqs) : IDeviceCommand;

    /// <summary>The seqs of the request that this device has stored already; the others are now held for it.</summary>
    public sealed record Reserved(int DeviceId, long RequestId, IReadOnlySet<long> Duplicates);

    public sealed record UnknownDevice(int DeviceId, long RequestId);

    /// <summary>The journal stored these readings of the device.</summary>
    public sealed record Commit(int DeviceId, IReadOnlyList<Reading> Stored) : IDeviceCommand;

    /// <summary>The write that held these seqs did not happen.</summary>
    public sealed record Release(int DeviceId, IReadOnlyList<long> Seqs) : IDeviceCommand;

    /// <summary>
    /// Adds or changes a device. Its <see cref="DeviceInfo.TokenHash"/> is the token offered to a device that has none
    /// yet; a device that has one keeps it (a token changes only by <see cref="RotateToken"/>).
    /// </summary>
    public sealed record Register(DeviceInfo Device) : IDeviceCommand
    {
        public int DeviceId => Device.DeviceId;
    }

    /// <summary>Gives a registered device a new token (its hash); answered <see cref="Registered"/>, or <see cref="NotRegistered"/>.</summary>
    public sealed record RotateToken(int DeviceId, string TokenHash) : IDeviceCommand;

    public sealed record NotRegistered(int DeviceId);

    public sealed record Registered(DeviceInfo Device, bool Created);

    public sealed record GetStatus(int DeviceId) : IDeviceCommand;

    /// <summary>
    /// A request whose readings are all this device's (one reading, or a board replaying its buffer): the device checks
    /// its seqs, journals what is new and answers <paramref name="ReplyTo"/> itself, without a request actor between.
    /// </summary>
    public sealed record IngestOwn(int DeviceId, IReadOnlyList<Reading> Readings, IActorRef ReplyTo) : IDeviceCommand;

    public sealed record DeviceStatus(int DeviceId, DeviceInfo? Info, Reading? Latest, long? HighestSeq);

    /// <summary>
    /// A request whose readings span devices, from the device manager to an ingest coordinator, with the actor of every
    /// device it names (so that the coordinator tells them straight); answered to <paramref name="ReplyTo"/>.
    /// </summary>
    public sealed record IngestSpread(IReadOnlyList<Reading> Readings, IReadOnlyDictionary<int, IActorRef> Devices, IActorRef ReplyTo);
}

public static class IngestProtocol
{
    /// <summary>Validated readings of one HTTP request, stored together or not at all.</summary>
    public sealed record Ingest(IReadOnlyList<Reading> Readings);

    public interface IIngestResult;

    /// <summary>Every reading is stored: each either journaled now or found stored before (<see cref="Outcome.Duplicate"/>).</summary>
    public sealed record Accepted(IReadOnlyList<Outcome> Outcomes) : IIngestResult
    {
        public int Inserted => Outcomes.Count(o => !o.Duplicate);
        public int Duplicates => Outcomes.Count(o => o.Duplicate);

        /// <summary>
        /// Each reading of a request in its order: a duplicate as stored before, every other one with the origin the journal
        /// gave it (<paramref name="journaled"/> lists the new readings in request order).
        /// </summary>
        public static Accepted Of(IReadOnlyList<Reading> readings, Func<int, bool> isDuplicate, IReadOnlyList<JournaledReading> journaled)
        {
            var outcomes = new Outcome[readings.Count];
            for (int i = 0, k = 0; i < readings.Count; i++)
            {
                if (isDuplicate(i))
                {
                    outcomes[i] = new Outcome(readings[i], true, null, null);
                    continue;
                }
                var stored = journaled[k++];
                outcomes[i] = new Outcome(readings[i], false, stored.OriginNode, stored.OriginSeq);
            }
            return new Accepted(outcomes);
        }

        /// <summary>Every reading of the request was stored before.</summary>
        public static Accepted AllDuplicates(IReadOnlyList<Reading> readings) => Of(readings, _ => true, []);
    }

    public sealed record Outcome(Reading Reading, bool Duplicate, string? OriginNode, long? OriginSeq);

    public sealed record DeviceNotFound(int DeviceId, int Index) : IIngestResult;

    /// <summary>
    /// Not stored now. <paramref name="MayBeStored"/>: the journal write was under way when the request gave up, so it may
    /// still land; a retry with the same seq is then answered as a duplicate.
    /// </summary>
    public sealed record Unavailable(string Reason, bool MayBeStored = false) : IIngestResult;
}
