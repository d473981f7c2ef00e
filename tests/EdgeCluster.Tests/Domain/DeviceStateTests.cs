using EdgeCluster.Domain;

namespace EdgeCluster.Tests.Domain;

public class DeviceStateTests
{
    private static Reading At(long seq, long time = 1_700_000_000_000) => new(1, 20, 50, time, time, seq);

    private static DeviceState NewState(Func<long, bool>? below = null) =>
        new(1, new DeviceInfo(1, "d", "DHT22", null, 0), null, [], null, below ?? (_ => false));

    [Fact]
    public void A_seq_is_new_then_in_flight_then_duplicate_once_stored()
    {
        var state = NewState();
        Assert.Equal(SeqStatus.New, state.Check(5));
        state.Reserve(5);
        Assert.Equal(SeqStatus.InFlight, state.Check(5));
        state.Stored(At(5));
        Assert.Equal(SeqStatus.Duplicate, state.Check(5));
        Assert.Equal(5, state.HighestSeq);
    }

    [Fact]
    public void A_released_seq_is_new_again()
    {
        var state = NewState();
        state.Reserve(9);
        state.Release(9);
        Assert.Equal(SeqStatus.New, state.Check(9));
    }

    [Fact]
    public void Seqs_out_of_order_within_the_window_are_remembered()
    {
        var state = NewState();
        state.Stored(At(10));
        state.Stored(At(3));
        Assert.Equal(SeqStatus.Duplicate, state.Check(3));
        Assert.Equal(SeqStatus.New, state.Check(4));
        Assert.Equal(10, state.HighestSeq);
    }

    [Fact]
    public void Seqs_far_below_the_window_are_answered_by_the_store()
    {
        var asked = new List<long>();
        var state = NewState(seq => { asked.Add(seq); return seq == 7; });
        state.Stored(At(DeviceState.SeqWindow + 100));
        Assert.Equal(SeqStatus.Duplicate, state.Check(7));
        Assert.Equal(SeqStatus.New, state.Check(8));
        Assert.Equal([7L, 8L], asked);
    }

    [Fact]
    public void Latest_is_the_reading_with_the_newest_device_time()
    {
        var state = NewState();
        state.Stored(At(1, time: 2_000));
        state.Stored(At(2, time: 1_000));
        Assert.Equal(1, state.Latest!.Seq);
    }

    [Fact]
    public void Journal_numbers_groups_consecutively_after_its_last_origin_seq()
    {
        var journal = new JournalState("pi-1", lastOriginSeq: 41);
        var group = journal.Number([At(1), At(2)]);
        Assert.Equal([42L, 43L], group.Readings.Select(r => r.OriginSeq));
        Assert.All(group.Readings, r => Assert.Equal("pi-1", r.OriginNode));
        journal.Apply(group);
        Assert.Equal(43, journal.LastOriginSeq);
        Assert.Equal(44, journal.Number([At(3)]).FirstOriginSeq);
    }

    [Theory]
    [InlineData(null, "Lab", "name")]
    [InlineData("", "Lab", "name")]
    [InlineData("ok", 5L, "location")]
    public void Device_registration_names_the_bad_field(string? name, object? location, string field)
    {
        var (_, error) = DeviceValidator.Validate(new RawDevice(1L, name, "DHT22", location), 0);
        Assert.Equal(field, error!.Field);
    }
}
