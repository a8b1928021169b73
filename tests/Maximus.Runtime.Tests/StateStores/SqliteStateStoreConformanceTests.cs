using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;

namespace Maximus.Runtime.Tests.StateStores;

/// <summary>The state store conformance suite on the embedded adapter: SQLite on a temp file.</summary>
public sealed class SqliteStateStoreConformanceTests : StateStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new();

    public SqliteStateStoreConformanceTests()
    {
        Store = new SqliteStateStore(new SqliteDatabase(_directory.File("state.db")));
    }

    protected override IStateStore Store { get; }

    public void Dispose() => _directory.Dispose();
}
