using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using EdgeCluster.Actors.Inference;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Actors.KeyValue;
using EdgeCluster.Actors.Replication;
using EdgeCluster.Domain;
using EdgeCluster.Domain.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static EdgeCluster.Actors.Inference.InferenceProtocol;
using static EdgeCluster.Actors.Replication.ReplicationProtocol;

namespace EdgeCluster.Tests.Serialization;

/// <summary>
/// Every message that crosses the wire or lands in the journal, through the serializer the node binds to it with the
/// production hosting extensions: it must be that serializer (not Akka's default) and come back equal.
/// </summary>
public sealed class WireFormatTests : IAsyncLifetime
{
    private IHost _host = null!;
    private Akka.Serialization.Serialization Serialization => _host.Services.GetRequiredService<ActorSystem>().Serialization;

    public async Task InitializeAsync()
    {
        _host = new HostBuilder().ConfigureServices(services => services.AddAkka("wire-format", b => b
            .AddJournalSerializer()
            .AddReplicationSerializer()
            .AddInferenceSerializer())).Build();
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    private static readonly Dictionary<string, long> Vector = new() { ["pi-1"] = 41, ["pi-2"] = 7 };

    private static readonly ReadingsJournaled Group = new("pi-1",
    [
        new JournaledReading(new Reading(3, 21.5, 40, 1_780_000_000_000, 1_780_000_000_500, 9), "pi-1", 42),
        new JournaledReading(new Reading(4, -3.25, 99.5, 1_780_000_000_001, 1_780_000_000_501, null), "pi-1", 43),
    ]);

    public static TheoryData<string, Type> Messages() => new()
    {
        { "pull", typeof(ReplicationSerializer) },
        { "pull result", typeof(ReplicationSerializer) },
        { "pushed groups", typeof(ReplicationSerializer) },
        { "sync request", typeof(ReplicationSerializer) },
        { "sync done", typeof(ReplicationSerializer) },
        { "device entry", typeof(ReplicationSerializer) },
        { "device entry without location", typeof(ReplicationSerializer) },
        { "device entry with a token", typeof(ReplicationSerializer) },
        { "key-value register", typeof(ReplicationSerializer) },
        { "journal group", typeof(JournalSerializer) },
        { "journal snapshot", typeof(JournalSerializer) },
        { "inference submit", typeof(InferenceSerializer) },
        { "inference submitted", typeof(InferenceSerializer) },
        { "worker heartbeat", typeof(InferenceSerializer) },
        { "run task", typeof(InferenceSerializer) },
        { "task done", typeof(InferenceSerializer) },
        { "get task", typeof(InferenceSerializer) },
        { "await task", typeof(InferenceSerializer) },
        { "task ended", typeof(InferenceSerializer) },
        { "task status", typeof(InferenceSerializer) },
        { "get stats", typeof(InferenceSerializer) },
        { "coordinator stats", typeof(InferenceSerializer) },
        { "ended task", typeof(InferenceSerializer) },
    };

    private static object Message(string name) => name switch
    {
        "pull" => new Pull(Vector, 5000) { Id = 12 },
        "pull result" => new PullResult(Vector, [Group]) { PullId = 12 },
        "pushed groups" => new Pushed([Group, Group]),
        "sync request" => new SyncRequest("pi-1", 43, 7),
        "sync done" => new SyncDone(7),
        "device entry" => new DeviceInfo(3, "ESP32_03", "DHT22", "Lab", 1_780_000_000_000, IntervalS: 300),
        "device entry without location" => new DeviceInfo(4, "ESP32_04", "DHT11", null, 1_780_000_000_000),
        "device entry with a token" => new DeviceInfo(5, "ESP32_05", "DHT22", "Lab", 1_780_000_000_000, 60, DeviceTokens.Hash("t")),
        "key-value register" => new MultiValueRegister([new Sibling("{\"celsius\":22}", Vector, "pi-1", 1_780_000_000_000), new Sibling("21.5", new Dictionary<string, long> { ["pi-3"] = 1 }, "pi-3", 1_780_000_000_001)]),
        "journal group" => Group,
        "journal snapshot" => new JournalProtocol.JournalSnapshot("pi-1", 43),
        "inference submit" => new Submit("t-1", "anomaly", 3, Priority.High, "pi-2"),
        "inference submitted" => new Submitted("t-1", SubmitResult.QueueFull, 1000),
        "worker heartbeat" => new WorkerHeartbeat("pi-2/worker", "pi-2", ["anomaly", "forecast"], 2),
        "run task" => new RunTask("t-1", "forecast", 3, 2),
        "task done" => new TaskDone("t-1", "pi-2/worker", "pi-2", true, "{\"next\":21.7}", null),
        "get task" => new GetTask("t-1"),
        "await task" => new AwaitTask("t-1"),
        "task ended" => new TaskEnded("t-1"),
        "task status" => new InferenceProtocol.TaskStatus("t-1", "completed", "{\"next\":21.7}", null, "pi-2/worker", "pi-2", 1),
        "get stats" => new GetStats(),
        "ended task" => new EndedTask("t-1", "failed", null, "no worker for forecast", "pi-2/worker", "pi-2", 3, 1_780_000_000_000),
        "coordinator stats" => new CoordinatorStats("pi-1", [new WorkerStats("pi-2/worker", "pi-2", "idle", ["anomaly"], 2, 0, 10)], 1, 2, 3, 10, 1, 1.5, 9.25, 100),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Each_message_round_trips_through_the_serializer_the_node_binds_to_it(string name, Type serializerType)
    {
        var message = Message(name);
        var serializer = Serialization.FindSerializerFor(message);
        Assert.IsType(serializerType, serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        Assert.Equal(Shape(message), Shape(back));
    }

    [Fact]
    public void A_device_entry_written_by_a_member_of_the_version_before_tokens_reads_without_one()
    {
        var device = new DeviceInfo(3, "ESP32_03", "DHT22", "Lab", 1_780_000_000_000, IntervalS: 300);
        var serializer = Serialization.FindSerializerFor(device);
        var bytes = serializer.ToBinary(device);
        // The earlier layout ended after the interval: version byte, id, 3 strings, a flag, time, interval; no token part.
        var earlier = bytes[..^1];
        Assert.Equal(0, bytes[^1]);
        var back = (DeviceInfo)Serialization.Deserialize(earlier, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, device));
        Assert.Equal(device, back);
    }

    [Fact]
    public void A_pull_and_its_reply_written_by_a_member_of_the_version_before_pull_ids_read_with_id_0()
    {
        foreach (var message in new object[] { new Pull(Vector, 5000) { Id = 12 }, new PullResult(Vector, [Group]) { PullId = 12 } })
        {
            var serializer = Serialization.FindSerializerFor(message);
            // The earlier layout ended before the id (8 bytes, appended).
            var earlier = serializer.ToBinary(message)[..^8];
            var back = Serialization.Deserialize(earlier, serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message));
            Assert.Equal(0, back switch { Pull p => p.Id, PullResult r => r.PullId, _ => -1 });
        }
    }

    [Fact]
    public void Every_inference_message_type_is_covered()
    {
        var covered = Messages().Select(row => Message((string)row[0]).GetType()).ToHashSet();
        Assert.All(InferenceSerializer.MessageTypes, t => Assert.Contains(t, covered));
    }

    // Records holding lists compare by reference; their JSON compares every field.
    private static string Shape(object o) => o is MultiValueRegister r
        ? JsonSerializer.Serialize(r.Siblings)
        : JsonSerializer.Serialize(o, o.GetType());
}
