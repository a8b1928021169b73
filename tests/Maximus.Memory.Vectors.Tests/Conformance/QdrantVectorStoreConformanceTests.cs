using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Qdrant;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>
/// The conformance suite on Qdrant: the server at <c>QDRANT_URL</c>, else a Testcontainers Qdrant when Docker is
/// available; otherwise every test is skipped and says why.
/// </summary>
public sealed class QdrantVectorStoreConformanceTests(QdrantServer server) : VectorStoreConformance, IClassFixture<QdrantServer>
{
    public override async ValueTask InitializeAsync()
    {
        if (server.Url is null)
        {
            Assert.Skip(server.SkipReason ?? "Qdrant is not available.");
        }

        await base.InitializeAsync();
    }

    protected override ValueTask<IVectorStore> OpenStoreAsync() =>
        ValueTask.FromResult<IVectorStore>(new QdrantVectorStore(new QdrantVectorStoreOptions { Url = server.Url }));
}
