using Akka.Actor;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using EdgeCluster.Actors;
using EdgeCluster.Actors.Devices;
using EdgeCluster.Actors.Journal;
using EdgeCluster.Actors.ReadModel;
using EdgeCluster.Storage;
using EdgeCluster.Tests.Support;
using LinqToDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace EdgeCluster.Tests.Actors;

/// <summary>
/// The node's write path started through the production hosting extensions, with the journal and
/// read model in real SQLite files of a temporary folder; the TestKit runs on that actor system.
/// </summary>
public abstract class WritePathSpecBase : Akka.TestKit.Xunit2.TestKit
{
    private readonly IHost _host;
    private readonly TempDir _dir;

    protected WritePathSpecBase(ITestOutputHelper output, IngestSettings settings)
        : this(output, settings, StartHost(settings, out var host, out var dir))
    {
        _host = host;
        _dir = dir;
    }

    private WritePathSpecBase(ITestOutputHelper output, IngestSettings settings, ActorSystem system) : base(system, output)
    {
        Settings = settings;
        _host = null!;
        _dir = null!;
    }

    protected IngestSettings Settings { get; }

    protected string JournalPath => _dir.File("journal.db");

    protected ReadModelStore Store => _host.Services.GetRequiredService<ReadModelStore>();

    protected IActorRegistry Registry => _host.Services.GetRequiredService<IActorRegistry>();

    private static ActorSystem StartHost(IngestSettings settings, out IHost host, out TempDir dir)
    {
        var folder = dir = new TempDir();
        host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton(_ => new ReadModelStore(folder.File("readings.db")));
                services.AddAkka("spec", builder => builder
                    // The first write creates the journal's tables; with multi-node tests beside, 3 s is not always enough.
                    .AddHocon("akka.persistence.journal.sql.parallelism = 1\nakka.test.single-expect-default = 15s", HoconAddMode.Prepend)
                    .WithSqlPersistence($"Data Source={folder.File("journal.db")}", ProviderName.SQLiteMS, autoInitialize: true)
                    .AddJournalSerializer()
                    .AddReadModelWriter()
                    .AddReadingJournal(settings)
                    .AddDeviceActors(settings));
            })
            .Build();
        host.Start();
        return host.Services.GetRequiredService<ActorSystem>();
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
        _dir.Dispose();
    }
}
