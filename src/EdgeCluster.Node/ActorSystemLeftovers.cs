using System.Reflection;
using System.Runtime;
using System.Runtime.InteropServices;
using Akka.Actor;

namespace EdgeCluster.Node;

/// <summary>
/// What a terminated actor system leaves behind, released. Akka.Remote keeps per-thread caches in two extensions
/// (ActorRefResolveThreadLocalCache and ActorPathThreadLocalCache, each a <see cref="ThreadLocal{T}"/>) that
/// termination does not dispose: every pool thread that resolved an actor ref then holds the cache, the cache the
/// system's provider, and through Akka.Hosting's resolver the system's whole host. A node that was downed and started
/// its actor system again kept every earlier one: ~10 MiB of heap per restart (seven actor systems alive after six
/// downings, found with dotnet-gcdump and a walk from the GC roots). Disposing the thread-locals lets them go.
/// </summary>
public static class ActorSystemLeftovers
{
    private static readonly string[] Caches =
    [
        "Akka.Remote.Serialization.ActorRefResolveThreadLocalCache",
        "Akka.Remote.Serialization.ActorPathThreadLocalCache",
    ];

    /// <summary>Disposes the terminated system's per-thread caches; answers how many were disposed.</summary>
    public static int Release(ActorSystem system)
    {
        if (system is not ExtendedActorSystem extended) return 0;
        var released = 0;
        foreach (var name in Caches)
        {
            var type = typeof(Akka.Remote.RemoteActorRefProvider).Assembly.GetType(name);
            if (type is null || !extended.TryGetExtension(type, out var extension) || extension is null) continue;
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
            {
                if (field.GetValue(extension) is IDisposable threadLocal && field.FieldType.IsGenericType
                    && field.FieldType.GetGenericTypeDefinition() == typeof(ThreadLocal<>))
                {
                    threadLocal.Dispose();
                    released++;
                }
            }
        }
        return released;
    }

    /// <summary>
    /// Gives the memory a finished incarnation used back to the operating system: a GC that decommits every free region
    /// (a workstation GC otherwise keeps them for the next allocations) and glibc's <c>malloc_trim</c> for what SQLite and
    /// the sockets freed in the malloc arenas. Without it a node's RSS rose by ~10 MiB with each downing and rejoin on an
    /// idle lab (docs/benchmarks.md, "Memory across rejoins"). Not glibc (musl): the trim is skipped.
    /// </summary>
    public static void ReturnMemory()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
