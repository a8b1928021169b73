using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;

namespace Maximus.Runtime.Tests.Secrets;

/// <summary>The secret store conformance suite on the Dapr adapter, over <see cref="FakeDaprSecretSidecar"/>.</summary>
public sealed class DaprSecretStoreConformanceTests : SecretStoreConformance
{
    private readonly FakeDaprSecretSidecar _sidecar = new();

    public DaprSecretStoreConformanceTests()
    {
        Store = new DaprSecretStore(_sidecar.Client);
    }

    protected override ISecretStore Store { get; }

    protected override Task SeedAsync(string name, string value)
    {
        _sidecar.Set(name, value);
        return Task.CompletedTask;
    }
}
