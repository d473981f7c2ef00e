using Akka.Actor;
using EdgeCluster.Actors;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Node;

/// <summary>The write path both doors take (HTTP and MQTT): readings to the device manager, answered once the journal has them.</summary>
public static class Ingestion
{
    /// <summary>
    /// The device manager's answer; no answer in time is <see cref="Unavailable"/> with the readings perhaps stored,
    /// and so is an actor system that stopped meanwhile (downed, it restarts to rejoin): the door answers at once
    /// rather than holding the request, and the node's shutdown with it, for the whole timeout.
    /// Counted in the node's metrics by <paramref name="door"/> (<c>http</c>, <c>mqtt</c>).
    /// </summary>
    public static async Task<IIngestResult> IngestAsync(ActorSystem system, IActorRef devices, IReadOnlyList<Reading> readings, IngestSettings ingest,
        string door)
    {
        IIngestResult result;
        try
        {
            // The ingest request answers within RequestTimeout; the margin covers the hops around it.
            var ask = devices.Ask<IIngestResult>(new Ingest(readings), ingest.RequestTimeout + TimeSpan.FromSeconds(2));
            result = await Task.WhenAny(ask, system.WhenTerminated) == ask
                ? await ask
                : new Unavailable("this member's actor system stopped (it starts again to rejoin the cluster)", MayBeStored: true);
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
