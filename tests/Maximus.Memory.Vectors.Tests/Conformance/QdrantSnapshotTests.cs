using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Qdrant;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>Qdrant's snapshot API through the adapter (what a migration into Qdrant calls before its first write).</summary>
public sealed class QdrantSnapshotTests(QdrantServer server) : IClassFixture<QdrantServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_collection_on_the_server_gets_a_snapshot_named_in_the_answer()
    {
        if (server.Url is null)
        {
            Assert.Skip(server.SkipReason ?? "Qdrant is not available.");
        }

        using var store = new QdrantVectorStore(new QdrantVectorStoreOptions { Url = server.Url });
        var collection = $"snap-{Guid.NewGuid():N}";
        await store.EnsureCollectionAsync(new VectorCollectionSpec(collection, 3), Ct);
        await store.UpsertAsync(collection, [new VectorRecord("p1", new float[] { 1, 0, 0 }, [])], Ct);

        var snapshots = await store.SnapshotAllAsync(Ct);

        var ours = Assert.Single(snapshots, s => s.StartsWith(collection + "=", StringComparison.Ordinal));
        Assert.True(ours.Length > collection.Length + 1);
        await store.DeleteCollectionAsync(collection, Ct);
    }
}
