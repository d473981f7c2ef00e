using EdgeCluster.Actors;
using EdgeCluster.Domain;
using EdgeCluster.Storage;
using Npgsql;

namespace EdgeCluster.Node.Uplink;

/// <summary>
/// Store-and-forward to the cloud PostgreSQL: reads what this member holds past the cloud's cursors, for the origins it
/// uploads (<see cref="UplinkOwnership"/>), oldest first, in batches of one transaction each (<see cref="CloudWriter"/>),
/// at most <c>--uplink-rate</c> readings a second. While the cloud cannot be reached the member goes on accepting and
/// serving readings; they wait in its read model and go, oldest first, when the cloud answers again.
/// </summary>
public sealed class UplinkService(NodeSettings settings, UplinkStatus status, ReadModelStore store, MemberDirectory directory,
    ILogger<UplinkService> log) : BackgroundService
{
    /// <summary>How often an idle uplink looks for new readings: the floor of the edge-to-cloud lag.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    /// <summary>The registry is sent again at least this often, even unchanged (the cloud's copy may have been edited).</summary>
    private static readonly TimeSpan DevicesRefresh = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var target = status.Target!;
        await using var cloud = new CloudWriter(target, settings.NodeName);
        var backoff = TimeSpan.FromSeconds(1);
        var pace = new Pace(settings.UplinkRate);
        string? sentDevices = null;
        var devicesSentAt = DateTime.MinValue;
        await Task.Yield();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (!cloud.Connected)
                {
                    await cloud.ConnectAsync(stopping);
                    sentDevices = null;
                }
                var live = LiveMembers();
                var cursors = await cloud.CursorsAsync(stopping);
                var local = store.Replication.VersionVector();
                var owned = local.Keys.Where(o => UplinkOwnership.UploadsHere(o, settings.NodeName, live)).ToHashSet(StringComparer.Ordinal);
                if (status.Up(cursors, owned))
                    log.LogInformation("Uplink to {Target} is up; {Backlog} readings here are not in the cloud yet", target.Display,
                        UplinkStatus.Backlog(local, cursors));
                backoff = TimeSpan.FromSeconds(1);

                if (UplinkOwnership.Winner(UplinkOwnership.DevicesKey, live.Append(settings.NodeName)) == settings.NodeName)
                {
                    var devices = store.Devices.List();
                    var fingerprint = string.Join("\n", devices.Select(d => d.ToString()));
                    if (fingerprint != sentDevices || DateTime.UtcNow - devicesSentAt > DevicesRefresh)
                    {
                        await cloud.UpsertDevicesAsync(devices, stopping);
                        sentDevices = fingerprint;
                        devicesSentAt = DateTime.UtcNow;
                    }
                }

                // What the cloud lacks of the origins this member uploads; the others count as held (nothing to send).
                var theirs = local.ToDictionary(o => o.Key, o => owned.Contains(o.Key) ? cursors.GetValueOrDefault(o.Key) : o.Value);
                var groups = store.Replication.ReadingsAfter(theirs, pace.BatchLimit(settings.UplinkBatch));
                if (groups.Count == 0)
                {
                    await Task.Delay(Poll, stopping);
                    continue;
                }
                var (after, covered) = await cloud.UploadAsync(groups, stopping);
                status.Uploaded(covered);
                status.Up(after, owned);
                await pace.AfterAsync(covered, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // Whatever went wrong, the node goes on serving; the uplink says why it is down and tries again.
                var reason = Reason(e);
                if (status.Down(reason))
                    log.LogWarning("Uplink to {Target} is down: {Reason}; readings wait here and are uploaded when it answers (retrying)",
                        target.Display, reason);
                await cloud.DisconnectAsync();
                try
                {
                    await Task.Delay(backoff, stopping);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>Node names of the members this member sees Up (or weakly up) and reachable, itself included when it is.</summary>
    private IReadOnlyCollection<string> LiveMembers() =>
        directory.Members()
            .Where(m => m.Reachable && m.Status is "Up" or "WeaklyUp" && m.NodeName is not null)
            .Select(m => m.NodeName!)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>One line a user can act on: PostgreSQL's own message with its code, or the network's.</summary>
    private static string Reason(Exception e) => e switch
    {
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: { } inner } when inner is not NpgsqlException => $"{e.Message} ({inner.Message})",
        OperationCanceledException or TimeoutException => "the cloud did not answer in time",
        NpgsqlException or CloudSchemaException or System.Net.Sockets.SocketException or IOException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    /// <summary>The --uplink-rate cap: batches no larger than a second's worth, and a pause after each that keeps the average.</summary>
    private sealed class Pace(int readingsPerSecond)
    {
        private DateTime _next = DateTime.UtcNow;

        public int BatchLimit(int batch) => readingsPerSecond > 0 ? Math.Max(1, Math.Min(batch, readingsPerSecond)) : batch;

        public async Task AfterAsync(int count, CancellationToken cancel)
        {
            if (readingsPerSecond <= 0) return;
            var now = DateTime.UtcNow;
            _next = (_next > now ? _next : now) + TimeSpan.FromSeconds((double)count / readingsPerSecond);
            if (_next > now) await Task.Delay(_next - now, cancel);
        }
    }
}
