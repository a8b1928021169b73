using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>The conformance suite on the embedded store below its index threshold: every search is exact.</summary>
public sealed class EmbeddedExactVectorStoreConformanceTests : VectorStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override ValueTask<IVectorStore> OpenStoreAsync() =>
        ValueTask.FromResult<IVectorStore>(new EmbeddedVectorStore(new EmbeddedVectorStoreOptions
        {
            DataDirectory = _directory.Path,
            IndexThreshold = 100_000,
        }));
}

/// <summary>
/// The conformance suite on the embedded store with an HNSW index from the first point (threshold 0, built
/// synchronously), so that every search, filtered or not, goes through USearch and its exact re-scoring.
/// </summary>
public sealed class EmbeddedHnswVectorStoreConformanceTests : VectorStoreConformance, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override ValueTask<IVectorStore> OpenStoreAsync() =>
        ValueTask.FromResult<IVectorStore>(new EmbeddedVectorStore(new EmbeddedVectorStoreOptions
        {
            DataDirectory = _directory.Path,
            IndexThreshold = 0,
            BuildIndexInBackground = false,
        }));
}
