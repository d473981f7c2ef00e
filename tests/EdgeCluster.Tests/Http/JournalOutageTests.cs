using System.Net;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace EdgeCluster.Tests.Http;

/// <summary>
/// The journal cannot write (its SQLite file is locked by another process): the reading is answered 503 and nothing is
/// stored; once the journal is back a retry with the same seq succeeds and the reading is stored exactly once.
/// The read model cannot write (a table it writes is gone for a while): the journal has the reading, the read model's
/// writer tries its transaction again until it commits, and the reading is answered and readable without a restart.
/// </summary>
[Trait("Category", "Slow")]
public sealed class JournalOutageTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private TestNode _node = null!;

    public async Task InitializeAsync()
    {
        _node = await TestNode.StartAsync(_dir.Path);
        await _node.RegisterAsync(1, "ESP32_01");
        await _node.PostReadingAsync(1, 20.0, 50, seq: 1);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_reading_the_journal_cannot_write_is_503_with_nothing_stored_and_a_retry_after_it_recovers_is_stored_once()
    {
        using (var lockHolder = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "journal.db")};Pooling=False"))
        {
            lockHolder.Open();
            using (var begin = lockHolder.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                begin.ExecuteNonQuery();
            }
            var refused = await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 21.0, humidity = 50, seq = 2 });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            var error = (await refused.ReadJsonAsync()).GetProperty("error").GetString();
            Assert.Contains("nothing was stored", error);
            Assert.Equal([1L], (await _node.ReadingsAsync(1)).Select(r => r.GetProperty("seq").GetInt64()));
            using var rollback = lockHolder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        await Eventually.AssertAsync(async () =>
        {
            var retry = await _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 21.0, humidity = 50, seq = 2 });
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.False((await retry.ReadJsonAsync()).GetProperty("duplicate").GetBoolean());
            // A retry sent while the journal is stopped between restarts is answered 503 at once and holds nothing, so
            // the first retry after the journal is back is stored (a held seq would keep retries waiting ~40 s).
        }, TimeSpan.FromSeconds(25));
        var seqs = (await _node.ReadingsAsync(1)).Select(r => r.GetProperty("seq").GetInt64()).Order().ToList();
        Assert.Equal([1L, 2L], seqs);
    }

    [Fact]
    public async Task A_reading_the_read_model_cannot_write_is_retried_until_it_commits_and_is_answered_and_readable_without_a_restart()
    {
        var failuresBefore = await ApplyFailuresAsync();
        using var other = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "readings.db")};Pooling=False");
        other.Open();
        SqliteCommand Sql(string sql)
        {
            var command = other.CreateCommand();
            command.CommandText = sql;
            return command;
        }
        using (var away = Sql("ALTER TABLE device_seen RENAME TO device_seen_away")) away.ExecuteNonQuery();
        var posting = _node.Http.PostAsJsonAsync("/api/reading", new { device_id = 1, temperature = 22.0, humidity = 50, seq = 2 });
        // The writer's transaction fails ("no such table") and is tried again every second.
        await Eventually.AssertAsync(async () => Assert.True(await ApplyFailuresAsync() >= failuresBefore + 2), TimeSpan.FromSeconds(8));
        Assert.False(posting.IsCompleted, "the reading was answered before the read model had it");
        using (var back = Sql("ALTER TABLE device_seen_away RENAME TO device_seen")) back.ExecuteNonQuery();

        var answered = await posting;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal([1L, 2L], (await _node.ReadingsAsync(1)).Select(r => r.GetProperty("seq").GetInt64()).Order());
        // Writing goes on as before.
        await _node.PostReadingAsync(1, 23.0, 50, seq: 3);
        Assert.Equal([1L, 2L, 3L], (await _node.ReadingsAsync(1)).Select(r => r.GetProperty("seq").GetInt64()).Order());
    }

    private async Task<double> ApplyFailuresAsync()
    {
        var text = await _node.Http.GetStringAsync("/metrics");
        return Regex.Matches(text, @"^edge_read_model_apply_failures_total(\{[^}]*\})? (\S+)$", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }
}
