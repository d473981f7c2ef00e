using Akka.Actor;
using Akka.Event;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Domain;
using Xunit.Abstractions;
using static EdgeCluster.Actors.Devices.DeviceProtocol;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Tests.Actors;

/// <summary>
/// A device's own write (a request of its readings alone) against a journal that answers late, fails or never answers:
/// the journal is a probe, the read model a real SQLite file.
/// </summary>
public class DeviceWriteSpec(ITestOutputHelper output)
    : WritePathSpecBase(output, new IngestSettings("spec-node") { RequestTimeout = TimeSpan.FromSeconds(1) })
{
    private static readonly long At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static Reading R(int device, long? seq) => new(device, 21.0, 50.0, At, At, seq);

    private async Task<(IActorRef Device, Akka.TestKit.TestProbe Journal)> Device(int id)
    {
        var journal = CreateTestProbe();
        var device = Sys.ActorOf(Props.Create(() => new DeviceActor(id, Store, Settings, journal.Ref)));
        device.Tell(new Register(new DeviceInfo(id, $"ESP32_{id}", "DHT22", "Lab", At)), TestActor);
        await ExpectMsgAsync<Registered>();
        return (device, journal);
    }

    private static JournalProtocol.Appended Stored(JournalProtocol.Append append, long firstOriginSeq) =>
        new(append.CorrelationId, append.Readings.Select((r, i) => new JournaledReading(r, "spec-node", firstOriginSeq + i)).ToList());

    [Fact]
    public async Task A_failed_write_releases_its_seqs_and_a_retry_waiting_for_them_is_written()
    {
        var (device, journal) = await Device(1);
        device.Tell(new IngestOwn(1, [R(1, 5), R(1, 6)], TestActor));
        var first = await journal.ExpectMsgAsync<JournalProtocol.Append>();

        // The board retries while the first write is in flight: it waits, it does not write seq 5 a second time.
        device.Tell(new IngestOwn(1, [R(1, 5)], TestActor));
        await journal.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        device.Tell(new JournalProtocol.AppendFailed(first.CorrelationId, "disk I/O error"));
        var failed = await ExpectMsgAsync<Unavailable>();
        Assert.False(failed.MayBeStored);
        var retry = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        Assert.Equal([5L], retry.Readings.Select(r => r.Seq!.Value));
        device.Tell(Stored(retry, 1));
        var accepted = await ExpectMsgAsync<Accepted>();
        Assert.Equal(1, accepted.Inserted);
    }

    [Fact]
    public async Task A_write_the_journal_does_not_answer_is_answered_may_be_stored_and_its_seq_stays_held_until_it_lands()
    {
        var (device, journal) = await Device(2);
        device.Tell(new IngestOwn(2, [R(2, 9)], TestActor));
        var write = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        var late = await ExpectMsgAsync<Unavailable>(TimeSpan.FromSeconds(5));
        Assert.True(late.MayBeStored);

        // The retry waits for the write that may still land; it lands, and the retry is answered as a duplicate.
        device.Tell(new IngestOwn(2, [R(2, 9)], TestActor));
        await journal.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        device.Tell(Stored(write, 1));
        var retry = await ExpectMsgAsync<Accepted>();
        Assert.True(retry.Outcomes.Single().Duplicate);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_retry_that_waited_past_the_request_timeout_is_not_written_behind_its_clients_back()
    {
        var (device, journal) = await Device(4);
        device.Tell(new IngestOwn(4, [R(4, 3)], TestActor));
        var write = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        var waiting = CreateTestProbe();
        device.Tell(new IngestOwn(4, [R(4, 3)], waiting.Ref));
        Assert.True((await ExpectMsgAsync<Unavailable>(TimeSpan.FromSeconds(5))).MayBeStored);
        await Task.Delay(Settings.RequestTimeout);

        // The first write fails late: the retry that waited for it has timed out at its door, so it is told, not written.
        device.Tell(new JournalProtocol.AppendFailed(write.CorrelationId, "disk I/O error"));
        Assert.False((await waiting.ExpectMsgAsync<Unavailable>()).MayBeStored);
        await journal.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        device.Tell(new IngestOwn(4, [R(4, 3)], TestActor));
        var again = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        device.Tell(Stored(again, 1));
        Assert.False((await ExpectMsgAsync<Accepted>()).Outcomes.Single().Duplicate);
    }

    [Fact]
    public async Task Readings_without_a_seq_and_seqs_named_twice_in_one_request()
    {
        var (device, journal) = await Device(3);
        device.Tell(new IngestOwn(3, [R(3, null), R(3, 4), R(3, 4), R(3, null)], TestActor));
        var append = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        Assert.Equal([null, 4L, null], append.Readings.Select(r => r.Seq));
        device.Tell(Stored(append, 10));
        var accepted = await ExpectMsgAsync<Accepted>();
        Assert.Equal([false, false, true, false], accepted.Outcomes.Select(o => o.Duplicate));
        Assert.Equal([10L, 11L, null, 12L], accepted.Outcomes.Select(o => o.OriginSeq));
    }

    private async Task<(IActorRef Devices, Akka.TestKit.TestProbe Journal)> Devices(params int[] ids)
    {
        var journal = CreateTestProbe();
        var devices = Sys.ActorOf(Props.Create(() => new DeviceManagerActor(Store, Settings, journal.Ref)));
        foreach (var id in ids)
        {
            devices.Tell(new Register(new DeviceInfo(id, $"ESP32_{id}", "DHT22", "Lab", At)), TestActor);
            await ExpectMsgAsync<Registered>();
        }
        return (devices, journal);
    }

    [Fact]
    public async Task A_command_that_reaches_a_stopped_device_actor_goes_to_a_new_one_and_is_answered()
    {
        var (devices, journal) = await Devices(20, 21);
        var stopped = await Sys.ActorSelection(devices.Path / "device-20").ResolveOne(TimeSpan.FromSeconds(3));
        Watch(stopped);
        stopped.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(stopped);

        // What a coordinator or the manager sends in the instant before the manager learns of the stop: a dead letter
        // without redelivery, and the board's request would time out.
        stopped.Tell(new IngestOwn(20, [R(20, 1)], TestActor));
        var append = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        Assert.Equal([20], append.Readings.Select(r => r.DeviceId));
        journal.Reply(Stored(append, 1));
        Assert.Equal(1, (await ExpectMsgAsync<Accepted>()).Inserted);

        // A request's reserve through a coordinator reaches the new actor too, which knows seq 1 is stored.
        stopped.Tell(new Reserve(20, 99, [1L, 2L]), TestActor);
        var reserved = await ExpectMsgAsync<Reserved>();
        Assert.Equal([1L], reserved.Duplicates);
    }

    [Fact]
    public async Task A_command_for_a_device_whose_actor_cannot_start_is_sent_again_a_few_times_then_dropped()
    {
        var (devices, _) = await Devices(22);
        var stopped = await Sys.ActorSelection(devices.Path / "device-22").ResolveOne(TimeSpan.FromSeconds(3));
        Watch(stopped);
        stopped.Tell(PoisonPill.Instance);
        await ExpectTerminatedAsync(stopped);
        // The device's state can no longer be read: an actor for it stops as it starts.
        using (var c = Store.Database.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "ALTER TABLE sensor_readings RENAME TO sensor_readings_gone";
            cmd.ExecuteNonQuery();
        }

        var dead = CreateTestProbe();
        dead.IgnoreMessages(m => m is not DeadLetter { Message: GetStatus { DeviceId: 22 } });
        Sys.EventStream.Subscribe(dead.Ref, typeof(DeadLetter));
        stopped.Tell(new GetStatus(22), TestActor);
        // The first dead letter and one after each of three tries; then it is dropped, not sent round for ever.
        for (var i = 0; i < 4; i++) await dead.ExpectMsgAsync<DeadLetter>();
        await dead.ExpectNoMsgAsync(TimeSpan.FromSeconds(1));
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_batch_over_several_devices_whose_write_failed_releases_its_seqs_at_once()
    {
        var (devices, journal) = await Devices(10, 11);
        devices.Tell(new Ingest([R(10, 1), R(11, 1)]), TestActor);
        var first = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        journal.Reply(new JournalProtocol.AppendFailed(first.CorrelationId, "disk I/O error"));
        Assert.False((await ExpectMsgAsync<Unavailable>()).MayBeStored);

        // Not written, so not held: the board's retry is written now, not once a hold runs out.
        devices.Tell(new Ingest([R(10, 1), R(11, 1)]), TestActor);
        var retry = await journal.ExpectMsgAsync<JournalProtocol.Append>(TimeSpan.FromMilliseconds(500));
        journal.Reply(Stored(retry, 1));
        Assert.Equal(2, (await ExpectMsgAsync<Accepted>()).Inserted);
    }

    [Fact]
    public async Task A_batch_over_several_devices_the_journal_does_not_answer_keeps_its_seqs_held_until_the_write_lands()
    {
        var (devices, journal) = await Devices(12, 13);
        devices.Tell(new Ingest([R(12, 7), R(13, 7)]), TestActor);
        var write = await journal.ExpectMsgAsync<JournalProtocol.Append>();
        var coordinator = journal.LastSender;
        Assert.True((await ExpectMsgAsync<Unavailable>(TimeSpan.FromSeconds(5))).MayBeStored);

        // The retry waits for the write that may still land; it lands, and the retry is answered as duplicates.
        devices.Tell(new Ingest([R(12, 7), R(13, 7)]), TestActor);
        await journal.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        coordinator.Tell(Stored(write, 1));
        var retry = await ExpectMsgAsync<Accepted>();
        Assert.Equal([true, true], retry.Outcomes.Select(o => o.Duplicate));
    }
}
