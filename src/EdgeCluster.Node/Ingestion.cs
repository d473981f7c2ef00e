using Akka.Actor;
using EdgeCluster.Actors;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Node;

/// <summary>The write path both doors take (HTTP and MQTT): readings to the device manager, answered once the journal has them.</summary>
public static class Ingestion
{
    /// <summary>
    /// The device manager's answer; no answer in time is <see cref="Unavailable"/> with the readings perhaps stored.
    /// Counted in the node's metrics by <paramref name="door"/> (<c>http</c>, <c>mqtt</c>).
    /// </summary>
    public static async Task<IIngestResult> IngestAsync(IActorRef devices, IReadOnlyList<Reading> readings, IngestSettings ingest, string door)
    {
        IIngestResult result;
        try
        {
            // The ingest request answers within RequestTimeout; the margin covers the hops around it.
            result = await devices.Ask<IIngestResult>(new Ingest(readings), ingest.RequestTimeout + TimeSpan.FromSeconds(2));
        }
        catch (AskTimeoutException)
        {
            result = new Unavailable("no answer in time", MayBeStored: true);
        }
        switch (result)
        {
            case Accepted a: EdgeMetrics.Acknowledged(door, a.Inserted, a.Duplicates); break;
            case DeviceNotFound: EdgeMetrics.Refused(door, "unknown_device"); break;
            default: EdgeMetrics.Refused(door, "unavailable"); break;
        }
        return result;
    }
}
