using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;

namespace Maximus.Runtime.Tests.StateStores;

/// <summary>The state store conformance suite on the Dapr adapter, over <see cref="FakeDaprStateSidecar"/>.</summary>
public sealed class DaprStateStoreConformanceTests : StateStoreConformance
{
    private readonly FakeDaprStateSidecar _sidecar = new();

    public DaprStateStoreConformanceTests()
    {
        Store = new DaprStateStore(_sidecar.Client);
    }

    protected override IStateStore Store { get; }
}
