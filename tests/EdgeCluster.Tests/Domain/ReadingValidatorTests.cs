using EdgeCluster.Domain;

namespace EdgeCluster.Tests.Domain;

public class ReadingValidatorTests
{
    private static readonly long Now = new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static (Reading?, FieldError?) Validate(object? device = null, object? t = null, object? h = null,
        object? ts = null, object? seq = null) =>
        ReadingValidator.Validate(new RawReading(device ?? 1L, t ?? 22.5, h ?? 65.0, ts, seq), Now);

    [Fact]
    public void Accepts_the_labs_reading_and_uses_received_time_when_the_device_sends_none()
    {
        var (reading, error) = Validate();
        Assert.Null(error);
        Assert.Equal(new Reading(1, 22.5, 65.0, Now, Now, null), reading);
    }

    [Fact]
    public void Accepts_numbers_sent_as_text_as_the_arduino_query_string_does()
    {
        var (reading, error) = Validate("7", "21.5", "60.0", seq: "42");
        Assert.Null(error);
        Assert.Equal(7, reading!.DeviceId);
        Assert.Equal(21.5, reading.Temperature);
        Assert.Equal(42, reading.Seq);
    }

    [Theory]
    [InlineData("abc", "device_id")]
    [InlineData(0L, "device_id")]
    [InlineData(-3L, "device_id")]
    [InlineData(1.5, "device_id")]
    [InlineData(3_000_000_000L, "device_id")]
    public void Refuses_device_ids_that_are_not_positive_integers(object device, string field)
    {
        var (_, error) = Validate(device);
        Assert.Equal(field, error!.Field);
    }

    [Theory]
    [InlineData("warm", "temperature")]
    [InlineData(double.NaN, "temperature")]
    [InlineData(500.0, "temperature")]
    public void Refuses_temperatures_that_are_not_plausible_numbers(object t, string field) =>
        Assert.Equal(field, Validate(t: t).Item2!.Field);

    [Theory]
    [InlineData(-1.0)]
    [InlineData(101.0)]
    [InlineData("wet")]
    public void Refuses_humidity_outside_zero_to_hundred(object h) => Assert.Equal("humidity", Validate(h: h).Item2!.Field);

    [Fact]
    public void Names_missing_fields()
    {
        var (_, error) = ReadingValidator.Validate(new RawReading(1L, null, 50.0, null, null), Now);
        Assert.Equal("temperature", error!.Field);
        Assert.Contains("required", error.Message);
    }

    [Theory]
    [InlineData("2026-06-01T11:59:00Z", 0)]
    [InlineData("2026-06-01T13:59:00+02:00", 0)]
    [InlineData(1780315140L, 0)]
    [InlineData(1780315140000L, 0)]
    [InlineData("1780315140", 0)]
    public void Reads_iso_and_unix_seconds_and_milliseconds_as_utc(object ts, int _)
    {
        var (reading, error) = Validate(ts: ts);
        Assert.Null(error);
        Assert.Equal(new DateTimeOffset(2026, 6, 1, 11, 59, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), reading!.DeviceTimeMs);
        Assert.Equal(Now, reading.ReceivedAtMs);
    }

    [Theory]
    [InlineData("2019-12-31T23:59:59Z")]
    [InlineData("2026-06-01T12:06:00Z")]
    [InlineData("yesterday")]
    [InlineData(0L)]
    public void Refuses_implausible_timestamps(object ts) => Assert.Equal("timestamp", Validate(ts: ts).Item2!.Field);

    [Fact]
    public void Allows_a_device_clock_a_little_ahead() =>
        Assert.Null(Validate(ts: "2026-06-01T12:04:00Z").Item2);

    [Theory]
    [InlineData(-1L)]
    [InlineData("one")]
    [InlineData(2.5)]
    public void Refuses_seqs_that_are_not_non_negative_integers(object seq) => Assert.Equal("seq", Validate(seq: seq).Item2!.Field);
}
