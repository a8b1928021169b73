using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors;
using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Composition;

/// <summary>
/// <c>GET v1/memory/vectors/{collection}/index</c>: the embedded store's HNSW indexes of a collection (points, indexed
/// points, building or ready, loaded from disk, memory). With Qdrant as the store its indexes are Qdrant's: 409, saying so.
/// </summary>
public static class VectorIndexApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Get(AppIds.Memory, "v1/memory/vectors/{collection}/index", call =>
        {
            if (VectorStoreServiceCollectionExtensions.UsesQdrant(call.Services))
            {
                throw new ProblemException(409, "Not the embedded store", "The vector store is Qdrant: its indexes are Qdrant's (see its collection info).");
            }

            var collection = call.Route("collection");
            var store = call.GetService<EmbeddedVectorStore>();
            return store.CollectionNames().Contains(collection, StringComparer.Ordinal)
                ? Task.FromResult(store.GetIndexStatus(collection))
                : throw ProblemException.NotFound($"No vector collection '{collection}'.");
        }),
    ];
}
