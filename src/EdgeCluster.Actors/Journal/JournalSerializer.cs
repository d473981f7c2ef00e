using Akka.Actor;
using Akka.Hosting;
using System.Runtime.Serialization;
using Akka.Serialization;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Journal.JournalProtocol;

namespace EdgeCluster.Actors.Journal;

/// <summary>
/// A compact binary format for what the journal stores: a group of readings is about 40 bytes a
/// reading, read and written without reflection. The first byte is a format version, so a later
/// format can still read the journals of a lab's earlier runs.
/// </summary>
public sealed class JournalSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 7301;
    private const string GroupManifest = "RJ";
    private const string SnapshotManifest = "RS";
    private const byte FormatVersion = 1;

    public JournalSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) => o switch
    {
        ReadingsJournaled => GroupManifest,
        JournalSnapshot => SnapshotManifest,
        _ => throw new ArgumentException($"{nameof(JournalSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            w.Write(FormatVersion);
            switch (obj)
            {
                case ReadingsJournaled group:
                    WriteGroup(w, group);
                    break;
                case JournalSnapshot snapshot:
                    w.Write(snapshot.OriginNode);
                    w.Write(snapshot.LastOriginSeq);
                    break;
                default:
                    throw new ArgumentException($"{nameof(JournalSerializer)} cannot serialize {obj.GetType()}");
            }
        }
        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        var version = r.ReadByte();
        if (version != FormatVersion) throw new SerializationException($"Unknown journal format version {version}");
        return manifest switch
        {
            GroupManifest => ReadGroup(r),
            SnapshotManifest => new JournalSnapshot(r.ReadString(), r.ReadInt64()),
            _ => throw new SerializationException($"Unknown journal manifest '{manifest}'"),
        };
    }

    // Origin seqs of a group are consecutive, so only the first is written.
    internal static void WriteGroup(BinaryWriter w, ReadingsJournaled group)
    {
        w.Write(group.OriginNode);
        w.Write(group.Readings.Count);
        w.Write(group.FirstOriginSeq);
        for (var i = 0; i < group.Readings.Count; i++)
        {
            var j = group.Readings[i];
            if (j.OriginSeq != group.FirstOriginSeq + i || j.OriginNode != group.OriginNode)
                throw new ArgumentException("a journaled group must hold consecutive origin seqs of one origin");
            var r = j.Reading;
            w.Write(r.DeviceId);
            w.Write(r.Temperature);
            w.Write(r.Humidity);
            w.Write(r.DeviceTimeMs);
            w.Write(r.ReceivedAtMs);
            w.Write(r.Seq.HasValue);
            if (r.Seq is { } seq) w.Write(seq);
        }
    }

    internal static ReadingsJournaled ReadGroup(BinaryReader r)
    {
        var origin = r.ReadString();
        var count = r.ReadInt32();
        var first = r.ReadInt64();
        var readings = new JournaledReading[count];
        for (var i = 0; i < count; i++)
        {
            var reading = new Reading(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadInt64(), r.ReadInt64(),
                r.ReadBoolean() ? r.ReadInt64() : null);
            readings[i] = new JournaledReading(reading, origin, first + i);
        }
        return new ReadingsJournaled(origin, readings);
    }
}

public static class JournalSerializerHosting
{
    public static AkkaConfigurationBuilder AddJournalSerializer(this AkkaConfigurationBuilder builder) =>
        builder.WithCustomSerializer("edge-journal", [typeof(ReadingsJournaled), typeof(JournalSnapshot)],
            system => new JournalSerializer(system));
}
