using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Cli.Tests;

public sealed class ReindexTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reindex_rebuilds_the_hnsw_index_of_every_collection_from_sqlite()
    {
        using var ws = new Workspace();
        string indexFile;
        using (var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = ws.DataDir }))
        {
            await SeedAsync(store, "memories", 64);
            await SeedAsync(store, "small", 3);
            indexFile = store.IndexPath("memories", "");
        }

        Assert.False(File.Exists(indexFile), "64 points are below the default threshold: no index yet.");

        // A lower threshold, as after changing the HNSW options: the memories collection now qualifies for an index.
        var result = await Cli.RunAsync(
            ["memory", "reindex", "--data-dir", ws.DataDir],
            new Dictionary<string, string> { ["Maximus__Memory__Vectors__IndexThreshold"] = "32" });

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("2 collection(s)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("memories: 64 points, 1 HNSW index(es) of 64 points", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("small: 3 points, below the index threshold", result.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(indexFile), result.StdOut);
    }

    [Fact]
    public async Task Reindex_with_qdrant_configured_has_nothing_to_rebuild()
    {
        using var ws = new Workspace();

        var result = await Cli.RunAsync(
            ["memory", "reindex", "--data-dir", ws.DataDir],
            new Dictionary<string, string> { ["QDRANT_URL"] = "http://127.0.0.1:1" });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nothing to rebuild", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.DataDir));
    }

    [Fact]
    public async Task Reindex_of_a_folder_without_a_vector_store_names_the_file()
    {
        using var ws = new Workspace();

        var result = await Cli.RunAsync(["memory", "reindex", "--data-dir", ws.DataDir]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(Path.Combine(ws.DataDir, "vectors.db"), result.StdErr, StringComparison.Ordinal);
    }

    private static async Task SeedAsync(EmbeddedVectorStore store, string collection, int count)
    {
        await store.EnsureCollectionAsync(
            new VectorCollectionSpec(collection, 8) { PayloadIndexes = new Dictionary<string, PayloadIndexKind>() }, Ct);
        var random = new Random(7);
        var records = Enumerable.Range(0, count)
            .Select(i => VectorRecord.FromStrings($"p{i}", Enumerable.Range(0, 8).Select(_ => random.NextSingle() + 0.01f).ToArray(), [new("text", $"point {i}")]))
            .ToList();
        await store.UpsertAsync(collection, records, Ct);
    }
}
