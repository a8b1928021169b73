using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

/// <summary>
/// A model change on existing memories: the collection records its model, another model is refused naming the command,
/// and <see cref="MemoryReembedder"/> re-embeds (in place, or through a temporary collection for another dimension,
/// resumable after a crash), after which searches with the new model work.
/// </summary>
public sealed class MemoryReembedTests : IDisposable
{
    private const string ModelA = "test/fake-hash-embedder-a";
    private const string ModelB = "test/fake-hash-embedder-b";
    private readonly string _directory = Directory.CreateTempSubdirectory("maximus-reembed-").FullName;
    private readonly List<IDisposable> _stores = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Memories_written_with_one_model_are_refused_by_another_naming_the_command_but_a_variant_is_accepted()
    {
        var store = OpenStore();
        await WriteCorpusAsync(Memory(store, new FakeHashEmbedder(ModelA, 64, salt: 1)));

        var ex = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() =>
            Memory(store, new FakeHashEmbedder(ModelB, 64, salt: 2)).SearchAsync("a", new SearchMemoryRequest("parcel"), Ct));
        var variant = await Memory(store, new FakeHashEmbedder(ModelA + "#int8", 64, salt: 1)).SearchAsync("a", new SearchMemoryRequest("parcel hub"), Ct);

        Assert.Contains(ModelA, ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelB, ex.Message, StringComparison.Ordinal);
        Assert.Contains("maximus memory reembed", ex.Message, StringComparison.Ordinal);
        Assert.Equal("delivered the parcel to the hub", variant.Hits[0].Entry.Text);
        Assert.Equal(ModelA, (await store.GetCollectionAsync(VectorCollections.Memories, Ct))!.EmbeddingModel);
    }

    [Fact]
    public async Task Reembedding_with_the_same_dimension_rewrites_in_place_then_the_new_model_finds_the_memories()
    {
        var store = OpenStore();
        var written = await WriteCorpusAsync(Memory(store, new FakeHashEmbedder(ModelA, 64, salt: 1)));
        var modelB = new FakeHashEmbedder(ModelB, 64, salt: 2);
        var progress = new List<ReembedProgress>();

        var result = await Reembedder(store, modelB).RunAsync(batchSize: 7, progress.Add, Ct);

        Assert.True(result.InPlace);
        Assert.Equal((ModelA, ModelB, written.Count), (result.FromModel, result.ToModel, (int)result.Points));
        Assert.Equal([7L, 14, 21], progress.Select(p => p.Done));
        Assert.All(progress, p => Assert.Equal((written.Count, "embed"), ((int)p.Total, p.Phase)));
        await AssertServedByAsync(store, modelB, written, dimension: 64);
    }

    [Fact]
    public async Task Reembedding_to_another_dimension_swaps_through_a_temporary_collection_keeping_every_entry()
    {
        var store = OpenStore();
        var written = await WriteCorpusAsync(Memory(store, new FakeHashEmbedder(ModelA, 64, salt: 1)));
        var modelB = new FakeHashEmbedder(ModelB, 24, salt: 2);

        var result = await Reembedder(store, modelB).RunAsync(batchSize: 5, null, Ct);
        var again = await Reembedder(store, modelB).RunAsync(batchSize: 5, null, Ct);

        Assert.False(result.InPlace);
        Assert.Equal((ModelA, 64, 24, (long)written.Count), (result.FromModel, result.FromDimension, result.ToDimension, result.Embedded));
        Assert.Null(await store.GetCollectionAsync(MemoryReembedder.TemporaryCollection(VectorCollections.Memories), Ct));
        Assert.True(again.UpToDate);
        await AssertServedByAsync(store, modelB, written, dimension: 24);
    }

    [Fact]
    public async Task A_dimension_change_that_stopped_while_embedding_resumes_where_it_stopped()
    {
        var store = OpenStore();
        var written = await WriteCorpusAsync(Memory(store, new FakeHashEmbedder(ModelA, 64, salt: 1)));
        var modelB = new FakeHashEmbedder(ModelB, 24, salt: 2);

        // The third batch written into the temporary collection fails, as a crash would.
        var crashing = new FailingUpsertStore(store, MemoryReembedder.TemporaryCollection(VectorCollections.Memories), failOnCall: 3);
        await Assert.ThrowsAsync<IOException>(() => Reembedder(crashing, modelB).RunAsync(batchSize: 5, null, Ct));
        var untouched = await store.GetCollectionAsync(VectorCollections.Memories, Ct);
        var refused = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => Memory(store, modelB).SearchAsync("a", new SearchMemoryRequest("parcel"), Ct));

        var resumed = await Reembedder(store, modelB).RunAsync(batchSize: 5, null, Ct);

        Assert.Equal((ModelA, 64, (long)written.Count), (untouched!.EmbeddingModel, untouched.Dimension, untouched.Count));
        Assert.Contains("maximus memory reembed", refused.Message, StringComparison.Ordinal);
        Assert.Equal(written.Count - 10, resumed.Embedded);
        await AssertServedByAsync(store, modelB, written, dimension: 24);
    }

    [Fact]
    public async Task A_dimension_change_that_stopped_during_the_swap_refuses_to_serve_then_finishes_when_run_again()
    {
        var store = OpenStore();
        var written = await WriteCorpusAsync(Memory(store, new FakeHashEmbedder(ModelA, 64, salt: 1)));
        var modelB = new FakeHashEmbedder(ModelB, 24, salt: 2);

        // The old collection is gone and the second batch copied back fails: the collection holds part of the points.
        var crashing = new FailingUpsertStore(store, VectorCollections.Memories, failOnCall: 2);
        await Assert.ThrowsAsync<IOException>(() => Reembedder(crashing, modelB).RunAsync(batchSize: 5, null, Ct));
        var partial = await store.GetCollectionAsync(VectorCollections.Memories, Ct);
        var refused = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => Memory(store, modelB).SearchAsync("a", new SearchMemoryRequest("parcel"), Ct));

        var finished = await Reembedder(store, modelB).RunAsync(batchSize: 5, null, Ct);

        Assert.Equal(5, partial!.Count);
        Assert.True(EmbeddingModelIds.IsReembedding(partial.EmbeddingModel));
        Assert.Contains("maximus memory reembed", refused.Message, StringComparison.Ordinal);
        Assert.Contains("has not finished", refused.Message, StringComparison.Ordinal);
        Assert.Equal(written.Count, finished.Points);
        await AssertServedByAsync(store, modelB, written, dimension: 24);
    }

    [Fact]
    public async Task With_all_a_collection_of_the_same_model_is_reembedded_from_what_is_embedded_now()
    {
        // A turn written before turns were told in the third person: its vector is the embedding of its text as said.
        var store = OpenStore();
        var model = new FakeHashEmbedder(ModelA, 64, salt: 1);
        const string said = "Caroline: I went to my pottery class";
        var old = (await model.GenerateAsync([said], cancellationToken: Ct))[0].Vector.ToArray();
        var turn = await Memory(store, model).WriteAsync("a", new WriteMemoryRequest(MemoryType.Episodic, said, Actor: "Caroline", Vector: old), Ct);
        async Task<float[]> StoredAsync() => (await store.GetAsync(VectorCollections.Memories, [$"a:{turn.Id}"], withVectors: true, Ct))[0].Vector.ToArray();

        var upToDate = await Reembedder(store, model).RunAsync(batchSize: 8, null, Ct);
        var unchanged = await StoredAsync();
        var all = await Reembedder(store, model).RunAsync(batchSize: 8, null, all: true, Ct);

        Assert.True(upToDate.UpToDate);
        Assert.Equal(old, unchanged, (x, y) => Math.Abs(x - y) < 1e-5f);
        Assert.False(all.UpToDate);
        Assert.True(all.InPlace);
        Assert.Equal(1, all.Points);
        Assert.Equal(ModelA, (await store.GetCollectionAsync(VectorCollections.Memories, Ct))!.EmbeddingModel);
        var expected = (await model.GenerateAsync(["Caroline: Caroline went to Caroline's pottery class"], cancellationToken: Ct))[0].Vector.ToArray();
        Assert.Equal(expected, await StoredAsync(), (x, y) => Math.Abs(x - y) < 1e-5f);
        Assert.NotEqual(old, expected);
    }

    /// <summary>The collection records the model, holds every entry, and the model's searches find each text first.</summary>
    private async Task AssertServedByAsync(EmbeddedVectorStore store, FakeHashEmbedder model, IReadOnlyList<MemoryEntry> written, int dimension)
    {
        var info = await store.GetCollectionAsync(VectorCollections.Memories, Ct);
        Assert.Equal(model.ModelId, info!.EmbeddingModel);
        Assert.Equal(dimension, info.Dimension);
        Assert.Equal(written.Count, info.Count);

        var memory = Memory(store, model);
        foreach (var entry in written)
        {
            var read = await memory.GetAsync(entry.AgentId, entry.Id, Ct);
            Assert.Equal(entry.Text, read.Text);
            Assert.Equal(entry.Fact?.Object, read.Fact?.Object);
        }

        var hits = await memory.SearchAsync("a", new SearchMemoryRequest("delivered the parcel to the hub", K: 3), Ct);
        Assert.Equal("delivered the parcel to the hub", hits.Hits[0].Entry.Text);
        var facts = await memory.SearchAsync("a", new SearchMemoryRequest("alice works at acme", [MemoryType.Semantic], K: 1), Ct);
        Assert.Equal("acme", facts.Hits[0].Entry.Fact!.Object);

        // The stored vector is the new model's embedding of what AgentMemory embeds.
        var point = (await store.GetAsync(VectorCollections.Memories, [$"a:{facts.Hits[0].Entry.Id}"], withVectors: true, Ct))[0];
        var expected = (await model.GenerateAsync([AgentMemory.EmbeddingText(facts.Hits[0].Entry)], cancellationToken: Ct))[0].Vector.ToArray();
        Assert.Equal(expected, point.Vector.ToArray(), (x, y) => Math.Abs(x - y) < 1e-5f);
    }

    private static async Task<List<MemoryEntry>> WriteCorpusAsync(AgentMemory memory)
    {
        var entries = new List<MemoryEntry>
        {
            await memory.WriteAsync("a", new WriteMemoryRequest(MemoryType.Episodic, "delivered the parcel to the hub"), Ct),
            await memory.WriteAsync("a", new WriteMemoryRequest(MemoryType.Semantic, "alice has a job", Fact: new SemanticFact("alice", "works at", "acme")), Ct),
            await memory.WriteAsync("a", new WriteMemoryRequest(MemoryType.Procedural, "stack bottom up", Procedure: new Procedure("build a tower", ["unstack", "stack"])), Ct),
        };
        for (var i = 0; i < 18; i++)
        {
            entries.Add(await memory.WriteAsync(i % 2 == 0 ? "a" : "b", new WriteMemoryRequest(MemoryType.Episodic, $"routine log line number {i} about sensor {i * 7}"), Ct));
        }

        return entries;
    }

    private EmbeddedVectorStore OpenStore()
    {
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = _directory });
        _stores.Add(store);
        return store;
    }

    private static AgentMemory Memory(IVectorStore store, IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        new(store, embedder, Options.Create(new MemoryOptions()), TimeProvider.System);

    private static MemoryReembedder Reembedder(IVectorStore store, IEmbeddingGenerator<string, Embedding<float>> embedder) =>
        new(store, embedder, Options.Create(new MemoryOptions()));

    /// <summary>
    /// A fake embedding model named as one: a deterministic bag-of-words hash (FNV-1a with a salt, so two fakes give
    /// unrelated vectors) that reports its model id and dimension like a real generator.
    /// </summary>
    private sealed class FakeHashEmbedder(string modelId, int dimension, uint salt) : IEmbeddingGenerator<string, Embedding<float>>
    {
        private readonly EmbeddingGeneratorMetadata _metadata = new("fake", null, modelId, dimension);

        public string ModelId => modelId;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)) { ModelId = modelId })));

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata : null;

        public void Dispose()
        {
        }

        private float[] Embed(string text)
        {
            var vector = new float[dimension];
            foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.', ':', '?'], StringSplitOptions.RemoveEmptyEntries))
            {
                var hash = 2166136261u ^ salt;
                foreach (var c in word)
                {
                    hash = (hash ^ c) * 16777619u;
                }

                vector[(int)(hash % (uint)dimension)] += 1;
            }

            vector[salt % (uint)dimension] += 0.01f;
            var norm = MathF.Sqrt(vector.Sum(x => x * x));
            return [.. vector.Select(x => x / norm)];
        }
    }

    /// <summary>Forwards to a store; the n-th upsert into one collection fails with an <see cref="IOException"/>, as a crash would.</summary>
    private sealed class FailingUpsertStore(IVectorStore inner, string collection, int failOnCall) : IVectorStore
    {
        private int _calls;

        public Task UpsertAsync(string name, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default) =>
            name == collection && ++_calls == failOnCall
                ? throw new IOException($"simulated crash at upsert {failOnCall} into {collection}")
                : inner.UpsertAsync(name, records, cancellationToken);

        public Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default) => inner.EnsureCollectionAsync(spec, cancellationToken);

        public Task<VectorCollectionInfo?> GetCollectionAsync(string name, CancellationToken cancellationToken = default) => inner.GetCollectionAsync(name, cancellationToken);

        public Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellationToken = default) => inner.DeleteCollectionAsync(name, cancellationToken);

        public Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string name, VectorSearchRequest request, CancellationToken cancellationToken = default) =>
            inner.SearchAsync(name, request, cancellationToken);

        public Task<IReadOnlyList<VectorRecord>> GetAsync(string name, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default) =>
            inner.GetAsync(name, ids, withVectors, cancellationToken);

        public Task<int> DeleteAsync(string name, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, ids, cancellationToken);

        public Task<long> DeleteAsync(string name, VectorFilter filter, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, filter, cancellationToken);

        public Task<VectorScrollPage> ScrollAsync(string name, VectorScrollRequest request, CancellationToken cancellationToken = default) =>
            inner.ScrollAsync(name, request, cancellationToken);

        public Task<long> CountAsync(string name, VectorFilter? filter = null, CancellationToken cancellationToken = default) => inner.CountAsync(name, filter, cancellationToken);

        public Task<IReadOnlyList<VectorSearchHit>> SearchTextAsync(string name, VectorTextSearchRequest request, CancellationToken cancellationToken = default) =>
            inner.SearchTextAsync(name, request, cancellationToken);

        public Task<VectorCollectionInfo> RecordEmbeddingModelAsync(string name, string embeddingModel, CancellationToken cancellationToken = default) =>
            inner.RecordEmbeddingModelAsync(name, embeddingModel, cancellationToken);
    }
}
