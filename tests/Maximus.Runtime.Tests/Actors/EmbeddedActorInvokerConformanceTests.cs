using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Tests.Actors;

/// <summary>The actor conformance suite on the embedded actor host: actors in process, state in SQLite on a temp folder.</summary>
public sealed class EmbeddedActorInvokerConformanceTests : ActorInvokerConformance, IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ServiceProvider _services;

    public EmbeddedActorInvokerConformanceTests()
    {
        _services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddEmbeddedRuntime(o => o.DataDirectory = _directory.Path)
            .AddActorType<CounterActor>()
            .BuildServiceProvider();
        Actors = _services.GetRequiredService<IActorInvoker>();
    }

    protected override IActorInvoker Actors { get; }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _directory.Dispose();
    }
}
