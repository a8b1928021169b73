using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Data.Sqlite;

namespace Maximus.Memory.Vectors.Tests.Embedded;

/// <summary>The embedded store's record of a collection's embedding model in a file written before models were recorded.</summary>
public sealed class EmbeddedModelRecordTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_file_without_the_model_column_is_migrated_and_its_collection_adopts_the_model()
    {
        var options = new EmbeddedVectorStoreOptions { DataDirectory = _directory.Path };
        string path;
        using (var store = new EmbeddedVectorStore(options))
        {
            path = store.DatabasePath;
            await store.EnsureCollectionAsync(new VectorCollectionSpec("memories", 4), Ct);
            await store.UpsertAsync("memories", [VectorRecord.FromStrings("p1", new float[] { 1, 0, 0, 0 }, [])], Ct);
        }

        // The file as an older version left it: no embedding_model column.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "ALTER TABLE vector_collection DROP COLUMN embedding_model";
            drop.ExecuteNonQuery();
        }

        using (var store = new EmbeddedVectorStore(options))
        {
            Assert.Null((await store.GetCollectionAsync("memories", Ct))!.EmbeddingModel);
            await store.EnsureCollectionAsync(new VectorCollectionSpec("memories", 4) { EmbeddingModel = "test/model-a" }, Ct);
        }

        using var reopened = new EmbeddedVectorStore(options);
        var info = await reopened.GetCollectionAsync("memories", Ct);

        Assert.Equal("test/model-a", info!.EmbeddingModel);
        Assert.Equal(1, info.Count);
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() =>
            reopened.EnsureCollectionAsync(new VectorCollectionSpec("memories", 4) { EmbeddingModel = "test/model-b" }, Ct));
    }
}
