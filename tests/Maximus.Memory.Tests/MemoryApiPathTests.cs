using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Memory.Tests;

/// <summary>
/// The memory API's search and write paths on the composed memory role (embedded runtime, MiniLM, embedded store), with
/// counting decorators on the vector-store port and the embedding generator: what one request costs in port calls.
/// </summary>
public sealed class MemoryApiPathTests : IAsyncLifetime
{
    private readonly CountingVectorStore.Counter _store = new();
    private readonly CountingEmbedder.Counter _embeddings = new();
    private IHost _host = null!;
    private IServiceInvoker _invoker = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, Directory.CreateTempSubdirectory("maximus-api-path-").FullName));
        Decorate<IVectorStore>(builder.Services, inner => new CountingVectorStore(inner, _store));
        Decorate<IEmbeddingGenerator<string, Embedding<float>>>(builder.Services, inner => new CountingEmbedder(inner, _embeddings));
        _host = builder.Build();
        await _host.StartAsync(Ct);
        // The model's warm-up embedding runs beside start-up; the tests count embedding calls, so it must be over first.
        await _host.Services.GetRequiredService<Maximus.Memory.Vectors.Embeddings.EmbeddingWarmup>().Completion;
        _invoker = _host.Services.GetRequiredService<IServiceInvoker>();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    [Fact]
    public async Task A_multi_type_search_is_one_embedding_and_one_vector_search_and_finds_an_entry_written_a_moment_ago()
    {
        await WriteBatch("a",
        [
            new(MemoryType.Semantic, "the loading dock is in building 7", Fact: new SemanticFact("loading dock", "is in", "building 7")),
            new(MemoryType.Procedural, "to restock: scan the pallet, then shelve it", Procedure: new Procedure("restock", ["scan", "shelve"])),
            new(MemoryType.Resource, "the forklift manual says to charge overnight", Resource: new ResourceChunk("forklift-manual.pdf")),
        ]);
        var written = await _invoker.InvokeAsync<WriteMemoryRequest, MemoryEntry>(
            AppIds.Memory, "v1/memory/a/entries", new(MemoryType.Episodic, "the red forklift broke down at the loading dock this morning"), Ct);

        (_store.Searches, _embeddings.Calls) = (0, 0);
        var plain = await Search("a", new("which forklift broke down at the dock?"));
        (var searches, var embeddings) = (_store.Searches, _embeddings.Calls);
        (_store.Searches, _embeddings.Calls) = (0, 0);
        var active = await Search("a", new("which forklift broke down at the dock?", Active: true));

        Assert.Equal(written.Id, plain.Hits[0].Entry.Id);
        Assert.Equal(4, plain.Hits.Select(h => h.Entry.Type).Distinct().Count());
        Assert.Equal(1, searches);
        Assert.Equal(1, embeddings);
        Assert.NotNull(active.Topic);
        Assert.Equal(2, _store.Searches); // the query and its topic, side by side
        Assert.Equal(1, _embeddings.Calls); // both texts in one call
        Assert.Equal(written.Id, active.Hits[0].Entry.Id);
    }

    [Fact]
    public async Task The_same_search_again_is_answered_from_the_cache_with_the_same_hits_and_no_port_call()
    {
        await WriteBatch("a",
        [
            new(MemoryType.Procedural, "to restock: scan the pallet, then shelve it", Procedure: new Procedure("restock", ["scan", "shelve"], 3, 1), Tags: new Dictionary<string, string> { ["site"] = "north" }),
            new(MemoryType.Episodic, "the red forklift broke down at the loading dock", OccurredAt: DateTimeOffset.UtcNow.AddHours(-2)),
            new(MemoryType.Semantic, "the loading dock is in building 7", Fact: new SemanticFact("loading dock", "is in", "building 7")),
        ]);

        var first = await Search("a", new("how do I restock the dock?"));
        (_store.Searches, _embeddings.Calls) = (0, 0);
        var again = await Search("a", new("how do I restock the dock?"));
        var third = await Search("a", new("how do I restock the dock?")); // decoded once by the first repeat, kept since

        Assert.Equal(0, _store.Searches);
        Assert.Equal(0, _embeddings.Calls);
        Assert.Equal(3, first.Hits.Count);
        // Every entry field (tags, steps and fact included), score and similarity as the first answer gave them.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(first.Hits, MaximusJson.Options), System.Text.Json.JsonSerializer.Serialize(again.Hits, MaximusJson.Options));
        Assert.Equal("north", again.Hits.Single(h => h.Entry.Type == MemoryType.Procedural).Entry.Tags!["site"]);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(first.Hits, MaximusJson.Options), System.Text.Json.JsonSerializer.Serialize(third.Hits, MaximusJson.Options));
    }

    [Fact]
    public async Task Every_key_a_search_filters_on_is_a_payload_index()
    {
        await WriteBatch("b",
        [
            new(MemoryType.Semantic, "alice knows bob", Fact: new SemanticFact("alice", "knows", "bob")),
            new(MemoryType.Semantic, "bob works at acme", Fact: new SemanticFact("bob", "works at", "acme")),
            new(MemoryType.Semantic, "acme is in paris", Fact: new SemanticFact("acme", "is in", "paris")),
            new(MemoryType.Episodic, "alice visited paris", ExpiresAt: DateTimeOffset.UtcNow.AddDays(1)),
        ]);
        _store.Filters.Clear();

        var hits = await Search("b", new("who does alice know?"));
        await Search("b", new("who does alice know?", [MemoryType.Semantic, MemoryType.Episodic], AsOf: DateTimeOffset.UtcNow.AddDays(-1)));

        Assert.NotEmpty(hits.Hits);
        Assert.True(_store.Scrolls > 0); // graph expansion ran
        var keys = _store.Filters.SelectMany(f => f.Must.Concat(f.MustNot)).Select(c => c.Key).Distinct().ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.Contains(key, AgentMemory.PayloadIndexes.Keys));
    }

    [Fact]
    public async Task A_batch_is_embedded_in_one_call_and_stored_in_one_upsert_in_request_order()
    {
        var requests = Enumerable.Range(0, 40).Select(i => new WriteMemoryRequest(MemoryType.Episodic, $"shipment {i} left the warehouse", Id: $"s{i}")).ToList();
        requests.Add(new(MemoryType.Semantic, "the robot is at dock 1", Id: "f1", Fact: new SemanticFact("robot", "is-at", "dock 1")));
        (_store.Upserts, _embeddings.Calls) = (0, 0);

        var response = await WriteBatch("c", requests);
        (var upserts, var embeddings) = (_store.Upserts, _embeddings.Calls);
        var moved = await WriteBatch("c", [new(MemoryType.Semantic, "the robot is at dock 2", Id: "f2", Fact: new SemanticFact("robot", "is-at", "dock 2"))]);
        var found = await Search("c", new("shipment 17 left the warehouse", [MemoryType.Episodic], K: 3));

        Assert.Equal(41, response.Written);
        Assert.Equal(Enumerable.Range(0, 41), response.Items.Select(i => i.Index));
        Assert.Equal(requests.Select(r => r.Id), response.Items.Select(i => i.Id));
        Assert.Equal(2, upserts); // the 40 episodes in one upsert, the functional fact on its own (it may close others)
        Assert.Equal(1, embeddings);
        Assert.Equal(["f1"], moved.Items[0].Supersedes);
        Assert.Equal("s17", found.Hits[0].Entry.Id);
    }

    [Fact]
    public async Task A_batch_with_bad_entries_writes_nothing_and_names_each_bad_field_by_index()
    {
        var before = await Count();
        var refused = await Assert.ThrowsAsync<InvocationException>(() => WriteBatch("d",
        [
            new(MemoryType.Episodic, "a good entry"),
            new(MemoryType.Episodic, " "),
            new(MemoryType.Core, "core blocks have their own API"),
            new(MemoryType.Episodic, "same id", Id: "x"),
            new(MemoryType.Episodic, "same id again", Id: "x"),
        ]));
        var empty = await Assert.ThrowsAsync<InvocationException>(() => WriteBatch("d", []));
        var tooMany = await Assert.ThrowsAsync<InvocationException>(() =>
            WriteBatch("d", [.. Enumerable.Range(0, WriteMemoryBatchRequest.MaxEntries + 1).Select(i => new WriteMemoryRequest(MemoryType.Episodic, $"entry {i}"))]));

        var problem = Assert.IsType<ProblemException>(refused.InnerException);
        Assert.Equal(400, refused.Status);
        Assert.Equal(["entries[1].text", "entries[2].type", "entries[4].id"], problem.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("entries", Assert.IsType<ProblemException>(empty.InnerException).Field);
        Assert.Equal("entries", Assert.IsType<ProblemException>(tooMany.InnerException).Field);
        Assert.Equal(before, await Count());
    }

    private Task<WriteMemoryBatchResponse> WriteBatch(string agent, IReadOnlyList<WriteMemoryRequest> entries) =>
        _invoker.InvokeAsync<WriteMemoryBatchRequest, WriteMemoryBatchResponse>(AppIds.Memory, $"v1/memory/{agent}/entries:batch", new(entries), Ct);

    private Task<SearchMemoryResponse> Search(string agent, SearchMemoryRequest request) =>
        _invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(AppIds.Memory, $"v1/memory/{agent}/search", request, Ct);

    private Task<long> Count() => _host.Services.GetRequiredService<IVectorStore>().CountAsync(VectorCollections.Memories, cancellationToken: Ct);

    /// <summary>Wraps the last registration of <typeparamref name="T"/> (a factory or a type) in <paramref name="wrap"/>.</summary>
    private static void Decorate<T>(IServiceCollection services, Func<T, T> wrap)
        where T : class
    {
        var inner = services.Last(d => d.ServiceType == typeof(T));
        services.Remove(inner);
        services.AddSingleton(sp => wrap((T)(inner.ImplementationInstance
            ?? inner.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!))));
    }

    /// <summary>A counting decorator on the vector-store port: searches, upserts, and the filters of searches and scrolls.</summary>
    private sealed class CountingVectorStore(IVectorStore inner, CountingVectorStore.Counter counter) : IVectorStore
    {
        public sealed class Counter
        {
            public int Searches { get; set; }

            public int Upserts { get; set; }

            public int Scrolls { get; set; }

            public List<VectorFilter> Filters { get; } = [];
        }

        public Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default) => inner.EnsureCollectionAsync(spec, cancellationToken);

        public Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default) => inner.GetCollectionAsync(collection, cancellationToken);

        public Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default) => inner.DeleteCollectionAsync(collection, cancellationToken);

        public Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
        {
            lock (counter)
            {
                counter.Upserts++;
            }

            return inner.UpsertAsync(collection, records, cancellationToken);
        }

        public Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default)
        {
            lock (counter)
            {
                counter.Searches++;
                if (request.Filter is { } filter)
                {
                    counter.Filters.Add(filter);
                }
            }

            return inner.SearchAsync(collection, request, cancellationToken);
        }

        public Task<IReadOnlyList<VectorRecord>> GetAsync(string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default) =>
            inner.GetAsync(collection, ids, withVectors, cancellationToken);

        public Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(collection, ids, cancellationToken);

        public Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default) => inner.DeleteAsync(collection, filter, cancellationToken);

        public Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default)
        {
            lock (counter)
            {
                counter.Scrolls++;
                if (request.Filter is { } filter)
                {
                    counter.Filters.Add(filter);
                }
            }

            return inner.ScrollAsync(collection, request, cancellationToken);
        }

        public Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default) => inner.CountAsync(collection, filter, cancellationToken);
    }

    /// <summary>A counting decorator on the embedding generator: calls made to it (each may hold several texts).</summary>
    private sealed class CountingEmbedder(IEmbeddingGenerator<string, Embedding<float>> inner, CountingEmbedder.Counter counter)
        : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public sealed class Counter
        {
            public int Calls { get; set; }
        }

        public override Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            lock (counter)
            {
                counter.Calls++;
            }

            return base.GenerateAsync(values, options, cancellationToken);
        }
    }
}
