using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Qdrant;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>
/// What keyword (BM25) search through <see cref="IVectorStore.SearchTextAsync"/> must do on every adapter that has it
/// (CONVENTIONS 15): the same ranking on the same data, filters, stemming, syntax-free queries, deletes and replaced
/// text, and the backfill of a collection that had no text field. Every test works in a collection of its own.
/// </summary>
public abstract class LexicalSearchConformance : IAsyncLifetime
{
    protected const int Dimension = 4;

    private IVectorStore? _store;

    protected string Collection { get; } = "lexical-" + Guid.NewGuid().ToString("N")[..12];

    protected IVectorStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Unrelated turns, so that the test words are rare (BM25's IDF is positive for terms in under half the documents).</summary>
    private static readonly string[] Filler =
    [
        "We bought bread and cheese at the market", "My sister plays the violin on Sundays", "The train to Leeds left late",
        "Grandma knits scarves for the whole family", "Our team lost the football match", "I repainted the kitchen blue",
        "The dog chewed my left shoe", "She is learning to speak Portuguese", "Tomatoes grow well in the greenhouse",
        "The museum opens a new exhibition", "He fixed the bicycle chain", "We watched a documentary about volcanoes",
    ];

    public virtual async ValueTask InitializeAsync()
    {
        _store = await OpenStoreAsync();
        await Store.EnsureCollectionAsync(Spec(VectorPayloadKeys.Text), Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DeleteCollectionAsync(Collection, CancellationToken.None);
            await _store.DeleteCollectionAsync(Collection + "-b", CancellationToken.None);
            (_store as IDisposable)?.Dispose();
            _store = null;
        }

        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask<IVectorStore> OpenStoreAsync();

    /// <summary>Closes the store and opens it again over the same data.</summary>
    protected async Task ReopenAsync()
    {
        (Store as IDisposable)?.Dispose();
        _store = null;
        _store = await OpenStoreAsync();
    }

    private VectorCollectionSpec Spec(string? textField, string? name = null) => new(name ?? Collection, Dimension)
    {
        PayloadIndexes = new Dictionary<string, PayloadIndexKind>
        {
            [VectorPayloadKeys.AgentId] = PayloadIndexKind.Tenant,
            [VectorPayloadKeys.Type] = PayloadIndexKind.Keyword,
        },
        TextField = textField,
    };

    private static VectorRecord Doc(string id, string text, string agent = "a1", string type = "episodic") =>
        new(id, new float[] { 1, id.Length, 0.5f, 0.25f }, new JsonObject
        {
            [VectorPayloadKeys.AgentId] = agent,
            [VectorPayloadKeys.Type] = type,
            [VectorPayloadKeys.Text] = text,
        });

    private async Task SeedAsync(string collection, params VectorRecord[] docs) =>
        await Store.UpsertAsync(collection, [.. docs, .. Filler.Select((t, i) => Doc($"filler-{i}", t))], Ct);

    private async Task<string[]> SearchAsync(string query, int limit = 10, VectorFilter? filter = null, string? collection = null) =>
        [.. (await Store.SearchTextAsync(collection ?? Collection, new VectorTextSearchRequest(query, limit, filter), Ct)).Select(h => h.Id)];

    [Fact]
    public async Task Keyword_search_ranks_by_bm25_best_first()
    {
        await SeedAsync(
            Collection,
            Doc("both", "The pelican flew over the harbour at dawn"),
            Doc("both-twice", "Pelicans and more pelicans crowded the harbour docks"),
            Doc("pelican-short", "A pelican was seen"),
            Doc("harbour-long", "Harbour cranes were running all night long"),
            Doc("none", "Nothing of the kind happened today"));

        Assert.Equal(["both-twice", "both", "pelican-short", "harbour-long"], await SearchAsync("Where did the pelican and the harbour meet?"));
        Assert.Equal(["both-twice", "both"], await SearchAsync("pelican harbour", limit: 2));
        var hits = await Store.SearchTextAsync(Collection, new VectorTextSearchRequest("pelican", 10), Ct);
        Assert.All(hits, h => Assert.True(h.Score > 0));
        Assert.True(hits[0].Score >= hits[^1].Score);
        Assert.Equal("A pelican was seen", hits.Single(h => h.Id == "pelican-short").Payload![VectorPayloadKeys.Text]!.GetValue<string>());
    }

    [Fact]
    public async Task Words_match_by_stem_case_and_without_diacritics()
    {
        await SeedAsync(Collection, Doc("run", "Harbour cranes were running all night"), Doc("cafe", "We met at the Café Rouge"));

        Assert.Equal(["run"], await SearchAsync("runs"));
        Assert.Equal(["cafe"], await SearchAsync("CAFE"));
    }

    [Fact]
    public async Task Query_syntax_is_plain_text_and_stop_words_alone_find_nothing()
    {
        await SeedAsync(Collection, Doc("p", "A pelican near the pier"));

        Assert.Equal(["p"], await SearchAsync("\"pelican\" OR NOT (pier*) ^ col:umn"));
        Assert.Empty(await SearchAsync("what was it and when"));
        Assert.Empty(await SearchAsync("?!"));
    }

    [Fact]
    public async Task Filters_apply_to_keyword_search()
    {
        await SeedAsync(
            Collection,
            Doc("mine", "The pelican is mine", agent: "a1"),
            Doc("theirs", "The pelican is theirs", agent: "a2"),
            Doc("fact", "Pelican is a bird", agent: "a1", type: "semantic"));

        Assert.Equal(["fact", "mine"], (await SearchAsync("pelican", filter: VectorFilter.ForAgent("a1"))).Order(StringComparer.Ordinal));
        Assert.Equal(["mine"], await SearchAsync("pelican", filter: VectorFilter.ForAgent("a1").OfTypes("episodic")));
        Assert.Equal(["theirs"], await SearchAsync("pelican", filter: VectorFilter.ForAgent("a2")));
    }

    [Fact]
    public async Task Keyword_hits_with_payload_keys_carry_only_those_keys()
    {
        await SeedAsync(Collection, Doc("mine", "The pelican is mine", agent: "a1"));

        var hit = Assert.Single(await Store.SearchTextAsync(
            Collection, new VectorTextSearchRequest("pelican", 5) { PayloadKeys = [VectorPayloadKeys.AgentId, "missing"] }, Ct));

        Assert.Equal("mine", hit.Id);
        Assert.Equal([VectorPayloadKeys.AgentId], hit.Payload!.Select(p => p.Key));
        Assert.Equal("a1", hit.Payload![VectorPayloadKeys.AgentId]!.GetValue<string>());
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchTextAsync(Collection, new VectorTextSearchRequest("pelican", 5) { PayloadKeys = ["_x"] }, Ct));
    }

    [Fact]
    public async Task A_deleted_or_replaced_point_is_found_only_by_its_current_text()
    {
        await SeedAsync(Collection, Doc("gone", "The pelican sang"), Doc("changed", "A pelican slept"), Doc("filtered", "The pelican ate", agent: "a9"));

        Assert.Equal(1, await Store.DeleteAsync(Collection, ["gone"], Ct));
        await Store.UpsertAsync(Collection, [Doc("changed", "A heron slept")], Ct);
        Assert.Equal(1, await Store.DeleteAsync(Collection, VectorFilter.ForAgent("a9"), Ct));

        Assert.Empty(await SearchAsync("pelican"));
        Assert.Equal(["changed"], await SearchAsync("heron"));
    }

    [Fact]
    public async Task A_point_without_the_text_field_is_not_in_the_keyword_index()
    {
        var untexted = new VectorRecord("no-text", new float[] { 1, 0, 0, 0 }, new JsonObject { [VectorPayloadKeys.AgentId] = "a1", ["note"] = "pelican" });
        await Store.UpsertAsync(Collection, [untexted, Doc("texted", "A pelican")], Ct);

        Assert.Equal(["texted"], await SearchAsync("pelican"));
    }

    [Fact]
    public async Task Ensuring_a_collection_with_a_text_field_indexes_the_payloads_it_already_holds()
    {
        var name = Collection + "-b";
        var before = await Store.EnsureCollectionAsync(Spec(textField: null, name), Ct);
        Assert.Null(before.TextField);
        await SeedAsync(name, Doc("old", "A pelican from before the upgrade"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.SearchTextAsync(name, new VectorTextSearchRequest("pelican"), Ct));

        var after = await Store.EnsureCollectionAsync(Spec(VectorPayloadKeys.Text, name), Ct);

        Assert.Equal(VectorPayloadKeys.Text, after.TextField);
        Assert.Equal(["old"], await SearchAsync("pelican", collection: name));
        await Store.UpsertAsync(name, [Doc("new", "A pelican after it")], Ct);
        Assert.Equal(["new", "old"], (await SearchAsync("pelican", collection: name)).Order(StringComparer.Ordinal));
        Assert.Equal(VectorPayloadKeys.Text, (await Store.GetCollectionAsync(name, Ct))!.TextField);
    }

    [Fact]
    public async Task Bad_requests_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SearchTextAsync(Collection, new VectorTextSearchRequest("pelican", 0), Ct));
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => Store.SearchTextAsync("no-such-collection", new VectorTextSearchRequest("pelican"), Ct));
    }
}

/// <summary>The keyword suite on the embedded store (FTS5 in vectors.db); it also survives a reopen.</summary>
public sealed class EmbeddedLexicalSearchConformanceTests : LexicalSearchConformance, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    protected override ValueTask<IVectorStore> OpenStoreAsync() =>
        ValueTask.FromResult<IVectorStore>(new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = _directory.Path }));

    [Fact]
    public async Task The_keyword_index_lives_in_the_vector_file_and_survives_a_reopen()
    {
        await Store.UpsertAsync(Collection, [new VectorRecord("p", new float[] { 1, 0, 0, 0 }, new JsonObject { [VectorPayloadKeys.AgentId] = "a1", [VectorPayloadKeys.Text] = "A pelican" })], TestContext.Current.CancellationToken);
        await ReopenAsync();

        var hits = await Store.SearchTextAsync(Collection, new VectorTextSearchRequest("pelicans"), TestContext.Current.CancellationToken);

        Assert.Equal(["p"], hits.Select(h => h.Id));
        Assert.Equal(["vectors.db"], Directory.EnumerateFiles(_directory.Path, "*.db").Select(Path.GetFileName));
    }
}

/// <summary>The keyword suite on Qdrant (sparse BM25 vector with the idf modifier); skipped without a server.</summary>
public sealed class QdrantLexicalSearchConformanceTests(QdrantServer server) : LexicalSearchConformance, IClassFixture<QdrantServer>
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
