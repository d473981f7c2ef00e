using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using EdgeCluster.Node;

namespace EdgeCluster.Tests.Node;

/// <summary>
/// A node that was downed starts a new actor system in the same process; the terminated one must be collectable, or a
/// lab with a flaky network grows a node's memory with every downing (the soak's leak check found it).
/// </summary>
public sealed class ActorSystemLeftoversTests
{
    [Fact]
    public void A_terminated_remote_actor_system_is_collected_once_its_leftovers_are_released_and_not_before()
    {
        var released = RunAndTerminate(release: true);
        Assert.False(StillAlive(released), "the terminated actor system is still reachable after its leftovers were released");

        var kept = RunAndTerminate(release: false);
        Assert.True(StillAlive(kept), "without the release, the pool threads' caches keep the terminated system (Akka.Remote 1.5)");
    }

    /// <summary>A remote actor system that resolves actor refs on pool threads (as remoting does for every message), terminated.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunAndTerminate(bool release)
    {
        var system = ActorSystem.Create("leftovers", ConfigurationFactory.ParseString("""
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            """));
        var provider = (Akka.Remote.IRemoteActorRefProvider)((ExtendedActorSystem)system).Provider;
        var path = $"akka.tcp://leftovers@127.0.0.1:{provider.DefaultAddress.Port}/user/nobody";
        Task.WaitAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => provider.ResolveActorRef(path))).ToArray());
        system.Terminate().Wait();
        if (release) Assert.Equal(2, ActorSystemLeftovers.Release(system));
        return new WeakReference(system);
    }

    private static bool StillAlive(WeakReference reference)
    {
        for (var i = 0; i < 5 && reference.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(100);
        }
        return reference.IsAlive;
    }
}
