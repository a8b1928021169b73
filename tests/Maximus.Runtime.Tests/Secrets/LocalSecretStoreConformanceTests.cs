using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Tests.Secrets;

/// <summary>The secret store conformance suite on the embedded adapter: <c>secrets.json</c> in a temp data folder.</summary>
public sealed class LocalSecretStoreConformanceTests : SecretStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly LocalSecretStore _store;

    public LocalSecretStoreConformanceTests()
    {
        _store = new LocalSecretStore(Options.Create(new EmbeddedRuntimeOptions { DataDirectory = _directory.Path }));
    }

    protected override ISecretStore Store => _store;

    protected override Task SeedAsync(string name, string value) => _store.SetSecretAsync(name, value, Ct);

    public void Dispose() => _directory.Dispose();
}
