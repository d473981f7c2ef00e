using Akka.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Domain;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Tests.Actors;

public class DeviceActorSpec(ITestOutputHelper output)
    : WritePathSpecBase(output, new IngestSettings("spec-node") { RequestTimeout = TimeSpan.FromSeconds(5) })
{
    private static readonly long At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static Reading R(int device, long? seq, double t = 21.0) => new(device, t, 50.0, At, At, seq);

    private async Task<Akka.Actor.IActorRef> DevicesWith(params int[] registered)
    {
        var devices = await Registry.GetAsync<DeviceManagerActor>();
        foreach (var id in registered)
        {
            devices.Tell(new Register(new DeviceInfo(id, $"ESP32_{id}", "DHT22", "Lab", At)), TestActor);
            await ExpectMsgAsync<Registered>();
        }
        return devices;
    }

    [Fact]
    public async Task A_retried_seq_is_answered_as_duplicate_and_stored_once()
    {
        var devices = await DevicesWith(1);
        devices.Tell(new Ingest([R(1, 1), R(1, 2)]), TestActor);
        var first = await ExpectMsgAsync<Accepted>();
        Assert.Equal(2, first.Inserted);

        devices.Tell(new Ingest([R(1, 2), R(1, 3)]), TestActor);
        var retry = await ExpectMsgAsync<Accepted>();
        Assert.Equal([true, false], retry.Outcomes.Select(o => o.Duplicate));
        Assert.Equal(3, Store.Queries.CountReadings());
    }

    [Fact]
    public async Task The_same_seq_twice_in_one_request_is_stored_once()
    {
        var devices = await DevicesWith(2);
        devices.Tell(new Ingest([R(2, 8), R(2, 8, t: 30)]), TestActor);
        var result = await ExpectMsgAsync<Accepted>();
        Assert.Equal([false, true], result.Outcomes.Select(o => o.Duplicate));
        Assert.Equal(1, Store.Queries.CountReadings());
    }

    [Fact]
    public async Task Concurrent_requests_with_one_seq_store_it_once()
    {
        var devices = await DevicesWith(3);
        for (var i = 0; i < 20; i++) devices.Tell(new Ingest([R(3, 77)]), TestActor);
        var results = new List<Accepted>();
        for (var i = 0; i < 20; i++) results.Add(await ExpectMsgAsync<Accepted>());
        Assert.Equal(1, results.Sum(r => r.Inserted));
        Assert.Equal(19, results.Sum(r => r.Duplicates));
        Assert.Equal(1, Store.Queries.CountReadings());
    }

    [Fact]
    public async Task A_seq_sent_alone_and_in_a_batch_of_several_devices_at_once_is_stored_once()
    {
        // A request of one device's readings goes straight to the device; one that spans devices through a request
        // actor that reserves at each device: both hold seqs in the same device, so neither writes what the other holds.
        var devices = await DevicesWith(6, 7);
        for (var i = 0; i < 10; i++)
        {
            devices.Tell(new Ingest([R(6, 100 + i)]), TestActor);
            devices.Tell(new Ingest([R(7, 1), R(6, 100 + i)]), TestActor);
            devices.Tell(new Ingest([R(6, 100 + i), R(6, 100 + i + 1)]), TestActor);
        }
        var results = new List<Accepted>();
        for (var i = 0; i < 30; i++) results.Add(await ExpectMsgAsync<Accepted>());
        Assert.Equal(12, results.Sum(r => r.Inserted));
        Assert.Equal(12, Store.Queries.CountReadings());
        Assert.All(results.SelectMany(r => r.Outcomes).Where(o => !o.Duplicate), o => Assert.NotNull(o.OriginSeq));
    }

    [Fact]
    public async Task A_request_naming_an_unknown_device_stores_nothing_and_releases_what_it_held()
    {
        var devices = await DevicesWith(4);
        devices.Tell(new Ingest([R(4, 1), R(99, 1)]), TestActor);
        var notFound = await ExpectMsgAsync<DeviceNotFound>();
        Assert.Equal(99, notFound.DeviceId);
        Assert.Equal(1, notFound.Index);
        Assert.Equal(0, Store.Queries.CountReadings());

        devices.Tell(new Ingest([R(4, 1)]), TestActor);
        Assert.Equal(1, (await ExpectMsgAsync<Accepted>()).Inserted);

        devices.Tell(new Ingest([R(98, 1), R(98, 2)]), TestActor);
        var alone = await ExpectMsgAsync<DeviceNotFound>();
        Assert.Equal((98, 0), (alone.DeviceId, alone.Index));
    }

    [Fact]
    public async Task A_device_actor_rebuilds_its_seqs_and_latest_from_the_read_model()
    {
        var devices = await DevicesWith(5);
        devices.Tell(new Ingest([R(5, 10, t: 19.5)]), TestActor);
        await ExpectMsgAsync<Accepted>();

        var rebuilt = Store.DeviceStates.Load(5);
        Assert.Equal(SeqStatus.Duplicate, rebuilt.Check(10));
        Assert.Equal(10, rebuilt.HighestSeq);
        Assert.Equal(19.5, rebuilt.Latest!.Temperature);
        Assert.True(rebuilt.IsRegistered);

        devices.Tell(new GetStatus(5), TestActor);
        var status = await ExpectMsgAsync<DeviceStatus>();
        Assert.Equal(10, status.HighestSeq);
    }
}
