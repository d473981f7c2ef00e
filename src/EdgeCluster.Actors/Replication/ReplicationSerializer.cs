using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Actors.Replication;

/// <summary>
/// The binary format of what members send each other: replication pulls (readings travel in the
/// journal's group format) and device registry entries inside Akka.DistributedData's own envelopes.
/// The first byte is a format version, so members of two releases can tell they differ.
/// </summary>
public sealed class ReplicationSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7302;
    private const string PullManifest = "RP";
    private const string ResultManifest = "RR";
    private const string DeviceManifest = "DI";
    private const string RegisterManifest = "MV";
    private const string SyncRequestManifest = "SQ";
    private const string SyncDoneManifest = "SD";
    private const string PushedManifest = "PU";
    // 2: members' names and HTTP URLs no longer ride on replication messages (they travel in cluster roles).
    // 3: a device entry carries its reporting interval.
    // 4: a pull's result carries the expired ranges (rollups in place of readings that left the sender's raw tier).
    private const byte FormatVersion = 4;

    public ReplicationSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o switch
    {
        Pull => PullManifest,
        PullResult => ResultManifest,
        Pushed => PushedManifest,
        DeviceInfo => DeviceManifest,
        SyncRequest => SyncRequestManifest,
        SyncDone => SyncDoneManifest,
        KeyValue.MultiValueRegister => RegisterManifest,
        _ => throw new ArgumentException($"{nameof(ReplicationSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write(FormatVersion);
            switch (obj)
            {
                case Pull pull:
                    WriteVector(w, pull.Vector);
                    w.Write(pull.Max);
                    // Appended: a member of an earlier version reads the fields before and ignores the rest.
                    w.Write(pull.Id);
                    break;
                case PullResult result:
                    WriteVector(w, result.Vector);
                    w.Write(result.Groups.Count);
                    foreach (var group in result.Groups) JournalSerializer.WriteGroup(w, group);
                    w.Write(result.Expired.Count);
                    foreach (var range in result.Expired) WriteRange(w, range);
                    w.Write(result.PullId);
                    break;
                case Pushed pushed:
                    w.Write(pushed.Groups.Count);
                    foreach (var group in pushed.Groups) JournalSerializer.WriteGroup(w, group);
                    break;
                case SyncRequest sync:
                    w.Write(sync.OriginNode);
                    w.Write(sync.UpTo);
                    w.Write(sync.Id);
                    break;
                case SyncDone done:
                    w.Write(done.Id);
                    break;
                case DeviceInfo device:
                    w.Write(device.DeviceId);
                    w.Write(device.Name);
                    w.Write(device.Type);
                    w.Write(device.Location is not null);
                    if (device.Location is not null) w.Write(device.Location);
                    w.Write(device.RegisteredAtMs);
                    w.Write(device.IntervalS ?? 0);
                    // Appended: a member of an earlier version reads the fields before and ignores the rest.
                    w.Write(device.TokenHash is not null);
                    if (device.TokenHash is not null) w.Write(device.TokenHash);
                    break;
                case KeyValue.MultiValueRegister register:
                    w.Write(register.Siblings.Count);
                    foreach (var sibling in register.Siblings)
                    {
                        w.Write(sibling.ValueJson);
                        WriteVector(w, sibling.Clock);
                        w.Write(sibling.Writer);
                        w.Write(sibling.WrittenAtMs);
                    }
                    break;
                default:
                    throw new ArgumentException($"{nameof(ReplicationSerializer)} cannot serialize {obj.GetType()}");
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        var version = r.ReadByte();
        if (version != FormatVersion) throw new SerializationException($"Unknown replication format version {version}");
        switch (manifest)
        {
            case PullManifest:
                return new Pull(ReadVector(r), r.ReadInt32()) { Id = More(r) ? r.ReadInt64() : 0 };
            case ResultManifest:
                var vector = ReadVector(r);
                var groups = new ReadingsJournaled[r.ReadInt32()];
                for (var i = 0; i < groups.Length; i++) groups[i] = JournalSerializer.ReadGroup(r);
                var expired = new ExpiredRange[r.ReadInt32()];
                for (var i = 0; i < expired.Length; i++) expired[i] = ReadRange(r);
                return new PullResult(vector, groups) { Expired = expired, PullId = More(r) ? r.ReadInt64() : 0 };
            case PushedManifest:
                var pushed = new ReadingsJournaled[r.ReadInt32()];
                for (var i = 0; i < pushed.Length; i++) pushed[i] = JournalSerializer.ReadGroup(r);
                return new Pushed(pushed);
            case SyncRequestManifest:
                return new SyncRequest(r.ReadString(), r.ReadInt64(), r.ReadInt64());
            case SyncDoneManifest:
                return new SyncDone(r.ReadInt64());
            case RegisterManifest:
                var siblings = new Sibling[r.ReadInt32()];
                for (var i = 0; i < siblings.Length; i++) siblings[i] = new Sibling(r.ReadString(), ReadVector(r), r.ReadString(), r.ReadInt64());
                return new KeyValue.MultiValueRegister(siblings);
            case DeviceManifest:
                var device = new DeviceInfo(r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadBoolean() ? r.ReadString() : null, r.ReadInt64());
                if (r.ReadInt32() is > 0 and var interval) device = device with { IntervalS = interval };
                // A member of an earlier version wrote no token hash.
                return r.BaseStream.Position < r.BaseStream.Length && r.ReadBoolean() ? device with { TokenHash = r.ReadString() } : device;
            default:
                throw new SerializationException($"Unknown replication manifest '{manifest}'");
        }
    }

    /// <summary>Whether a field appended by a later version follows (a member of an earlier version did not write it).</summary>
    private static bool More(BinaryReader r) => r.BaseStream.Position < r.BaseStream.Length;

    private static void WriteRange(BinaryWriter w, ExpiredRange range)
    {
        w.Write(range.OriginNode);
        w.Write(range.Through);
        w.Write(range.Rows.Count);
        foreach (var row in range.Rows)
        {
            w.Write(row.DeviceId);
            w.Write(row.Bucket);
            w.Write(row.Count);
            w.Write(row.SumT);
            WriteNullable(w, row.MinT);
            WriteNullable(w, row.MaxT);
            w.Write(row.SumH);
            WriteNullable(w, row.MinH);
            WriteNullable(w, row.MaxH);
            w.Write(row.FirstAt ?? "");
            w.Write(row.LastAt ?? "");
        }
    }

    private static ExpiredRange ReadRange(BinaryReader r)
    {
        var origin = r.ReadString();
        var through = r.ReadInt64();
        var rows = new RollupRow[r.ReadInt32()];
        for (var i = 0; i < rows.Length; i++)
            rows[i] = new RollupRow(r.ReadInt32(), r.ReadString(), r.ReadInt64(), r.ReadDouble(), ReadNullable(r), ReadNullable(r),
                r.ReadDouble(), ReadNullable(r), ReadNullable(r), EmptyAsNull(r.ReadString()), EmptyAsNull(r.ReadString()));
        return new ExpiredRange(origin, through, rows);
    }

    private static void WriteNullable(BinaryWriter w, double? value)
    {
        w.Write(value.HasValue);
        if (value is { } v) w.Write(v);
    }

    private static double? ReadNullable(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;

    private static string? EmptyAsNull(string text) => text.Length == 0 ? null : text;

    private static void WriteVector(BinaryWriter w, IReadOnlyDictionary<string, long> vector)
    {
        w.Write(vector.Count);
        foreach (var (origin, seq) in vector)
        {
            w.Write(origin);
            w.Write(seq);
        }
    }

    private static Dictionary<string, long> ReadVector(BinaryReader r)
    {
        var count = r.ReadInt32();
        var vector = new Dictionary<string, long>(count);
        for (var i = 0; i < count; i++) vector[r.ReadString()] = r.ReadInt64();
        return vector;
    }
}

public static class ReplicationSerializerHosting
{
    public static AkkaConfigurationBuilder AddReplicationSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("edge-replication", [typeof(Pull), typeof(PullResult), typeof(Pushed), typeof(SyncRequest), typeof(SyncDone), typeof(DeviceInfo), typeof(KeyValue.MultiValueRegister)],
            system => new ReplicationSerializer(system));
}
