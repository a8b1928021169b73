using Dapr.Actors.Client;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;

namespace Maximus.Runtime.Tests.Actors;

/// <summary>
/// The actor conformance suite on the Dapr adapter: <see cref="DaprActorInvoker"/> with Dapr's real actor proxies,
/// over <see cref="FakeDaprActorSidecar"/>, which forwards to Dapr's real actor runtime hosting <see cref="CounterActor"/>.
/// </summary>
public sealed class DaprActorInvokerConformanceTests : ActorInvokerConformance, IAsyncLifetime
{
    private FakeDaprActorSidecar? _sidecar;
    private IActorInvoker? _actors;

    protected override IActorInvoker Actors => _actors ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        _sidecar = await FakeDaprActorSidecar.StartAsync(o => o.Actors.RegisterActor<CounterActor>(CounterActor.TypeName), CounterActor.TypeName);
        _actors = new DaprActorInvoker(new ActorProxyFactory(), _sidecar.Endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }
    }
}
