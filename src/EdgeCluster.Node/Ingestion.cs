using Akka.Actor;
using EdgeCluster.Actors;
using EdgeCluster.Domain;
using static EdgeCluster.Actors.Devices.IngestProtocol;

namespace EdgeCluster.Node;

/// <summary>The write path both doors take (HTTP and MQTT): readings to the device manager, answered once the journal has them.</summary>
public static class Ingestion
{
    /// <summary>The device manager's answer; no answer in time is <see cref="Unavailable"/> with the readings perhaps stored.</summary>
    public static async Task<IIngestResult> IngestAsync(IActorRef devices, IReadOnlyList<Reading> readings, IngestSettings ingest)
    {
        try
        {
            // The ingest request answers within RequestTimeout; the margin covers the hops around it.
            return await devices.Ask<IIngestResult>(new Ingest(readings), ingest.RequestTimeout + TimeSpan.FromSeconds(2));
        }
        catch (AskTimeoutException)
        {
            return new Unavailable("no answer in time", MayBeStored: true);
        }
    }
}
