using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Migration.Tests;

/// <summary>Dual-write and the HTTP source against <see cref="FakeChromaServer"/> (a fake from the documented API shapes, not a real Chroma).</summary>
public sealed class ChromaDualWriteTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
    }

    private EmbeddedVectorStore Embedded()
    {
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = ChromaFixtures.TempDirectory(), BuildIndexInBackground = false });
        _owned.Add(store);
        return store;
    }

    private ChromaVectorStore Chroma(FakeChromaServer fake)
    {
        var http = fake.Client();
        _owned.Add(http);
        return new ChromaVectorStore(new ChromaHttpClient(http, FakeChromaServer.BaseUrl));
    }

    private static VectorRecord Point(string id, string text, float x = 1) => new(id, new float[] { x, 2, 3 }, new JsonObject
    {
        ["agentId"] = "a",
        ["type"] = "resource",
        ["text"] = text,
        ["createdAt"] = 1_700_000_000_000L,
        ["tags"] = new JsonArray("x", "y"),
    });

    [Fact]
    public async Task While_dual_writing_every_upsert_and_delete_lands_in_the_embedded_store_and_the_fake_chroma_server()
    {
        var ct = TestContext.Current.CancellationToken;
        using var fake = new FakeChromaServer();
        var newStore = Embedded();
        var dual = new DualWriteVectorStore(newStore, Chroma(fake), new DualWriteOptions { ReadFromNew = true });
        await dual.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3, VectorDistance.Dot), ct);

        await dual.UpsertAsync("memories", [Point("p1", "one"), Point("p2", "two"), Point("p3", "three")], ct);
        await dual.DeleteAsync("memories", ["p2"], ct);
        await dual.UpsertAsync("memories", [Point("p3", "three again")], ct);

        var chroma = fake.Collection("memories");
        Assert.Equal(["p1", "p3"], chroma.Order);
        Assert.Equal("three again", chroma.Records["p3"].Document);
        Assert.Equal("a", chroma.Records["p3"].Metadata!["agentId"]!.GetValue<string>());
        Assert.Equal("[\"x\",\"y\"]", chroma.Records["p3"].Metadata!["tags"]!.GetValue<string>());
        Assert.Equal([1f, 2f, 3f], chroma.Records["p1"].Embedding);
        Assert.Equal(2, await newStore.CountAsync("memories", cancellationToken: ct));
        Assert.Contains(fake.Requests, r => r.StartsWith("POST /api/v2/tenants/default_tenant/databases/default_database/collections/", StringComparison.Ordinal) && r.EndsWith("/upsert", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, r => r.EndsWith("/delete", StringComparison.Ordinal));
        var parity = await dual.CompareAsync("memories", ct);
        Assert.True(parity.InParity, string.Join(",", parity.Different.Concat(parity.OnlyInNew).Concat(parity.OnlyInOld)));
        Assert.Equal(2, parity.Same);
    }

    [Fact]
    public async Task Rollback_reads_from_chroma_and_cut_over_reads_from_the_new_store()
    {
        var ct = TestContext.Current.CancellationToken;
        using var fake = new FakeChromaServer();
        var newStore = Embedded();
        var chroma = Chroma(fake);
        var dual = new DualWriteVectorStore(newStore, chroma, new DualWriteOptions { ReadFromNew = true });
        await dual.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3, VectorDistance.Dot), ct);
        await dual.UpsertAsync("memories", [Point("p1", "one"), Point("p2", "two", x: 5)], ct);
        await newStore.UpsertAsync("memories", [Point("p2", "only in new"), Point("p9", "new only")], ct);

        dual.RollBack();
        Assert.False(dual.ReadsFromNew);
        Assert.Equal("two", (await dual.GetAsync("memories", ["p2"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());
        Assert.Equal(2, await dual.CountAsync("memories", cancellationToken: ct));
        var hits = await dual.SearchAsync("memories", new VectorSearchRequest(new float[] { 1, 0, 0 }, 1, VectorFilter.ForAgent("a").OfTypes("resource")), ct);
        Assert.Equal("p2", hits.Single().Id);
        Assert.Equal(5f, hits.Single().Score, 3);
        var page = await dual.ScrollAsync("memories", new VectorScrollRequest(1), ct);
        Assert.Equal("p1", page.Records.Single().Id);
        Assert.Equal(new JsonArray("x", "y").ToJsonString(), page.Records.Single().Payload["tags"]!.ToJsonString());
        Assert.Equal("p2", (await dual.ScrollAsync("memories", new VectorScrollRequest(1, Cursor: page.NextCursor), ct)).Records.Single().Id);

        dual.CutOver();
        Assert.Equal("only in new", (await dual.GetAsync("memories", ["p2"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());
        Assert.Equal(3, await dual.CountAsync("memories", cancellationToken: ct));
    }

    [Fact]
    public async Task Chroma_filters_translate_to_where_and_untranslatable_ones_are_not_supported()
    {
        var ct = TestContext.Current.CancellationToken;
        using var fake = new FakeChromaServer();
        var chroma = Chroma(fake);
        await chroma.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3, VectorDistance.Dot), ct);
        await chroma.UpsertAsync("memories", [Point("p1", "one"), Point("p2", "two") with { Payload = new JsonObject { ["agentId"] = "b", ["createdAt"] = 5 } }], ct);

        var filter = VectorFilter.Where(VectorCondition.Range("createdAt", gte: 1)).AndNot(VectorCondition.Match("agentId", "a"));
        Assert.Equal("""{"$and":[{"createdAt":{"$gte":1}},{"agentId":{"$ne":"a"}}]}""", ChromaVectorStore.Where(filter)!.ToJsonString());
        Assert.Equal(1, await chroma.CountAsync("memories", filter, ct));
        Assert.Equal(1, await chroma.DeleteAsync("memories", VectorFilter.ForAgent("b"), ct));
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => chroma.DeleteAsync("memories", VectorFilter.Empty.NotExpired(DateTimeOffset.UnixEpoch), ct));
        Assert.Contains("expiresAt", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => chroma.CountAsync("nope", cancellationToken: ct));
        await Assert.ThrowsAsync<ArgumentException>(() => chroma.UpsertAsync("memories", [new VectorRecord("x", new float[] { 1 }, [])], ct));
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v1")]
    public async Task The_http_source_reads_the_fake_server_page_by_page_and_migrates_with_verified_checksums(string version)
    {
        var ct = TestContext.Current.CancellationToken;
        using var fake = new FakeChromaServer(version);
        var notes = fake.Seed("notes");
        for (var i = 0; i < 23; i++)
        {
            notes.Put($"rec-{i:00}", $"note {i}", new JsonObject { ["user_id"] = $"user-{i % 3}", ["n"] = i }, [i, 1, 2, 3]);
        }

        using var http = fake.Client();
        var data = ChromaFixtures.TempDirectory();
        var store = Embedded();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = $"chroma-http:{FakeChromaServer.BaseUrl}", Verify = true, Json = true, BatchSize = 10, AgentKey = "user_id", DataDirectory = data },
            () => store, output, error, http: http, cancellationToken: ct);

        Assert.True(code == 0, error.ToString());
        var report = JsonNode.Parse(output.ToString())!;
        Assert.Equal(23, report["read"]!.GetValue<long>());
        Assert.Equal(23, report["written"]!.GetValue<long>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());
        Assert.Equal(23, await store.CountAsync("chroma-notes", cancellationToken: ct));
        var gets = fake.Requests.Where(r => r.EndsWith("/get", StringComparison.Ordinal)).ToList();
        Assert.True(gets.Count >= 3, string.Join("\n", fake.Requests));
        Assert.All(fake.Requests.Where(r => !r.EndsWith("/heartbeat", StringComparison.Ordinal)), r => Assert.StartsWith($"GET /api/{version}/", r.Replace("POST ", "GET ", StringComparison.Ordinal), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_chroma_server_is_a_clear_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var chroma = new ChromaVectorStore(new ChromaHttpClient(http, new Uri("http://127.0.0.1:9")));

        var error = await Assert.ThrowsAsync<ChromaSourceException>(() => chroma.EnsureCollectionAsync(new VectorCollectionSpec("memories", 3), ct));

        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddDualWriteVectorStore_decorates_the_registered_store_only_when_enabled()
    {
        var embedded = Embedded();
        IConfiguration Config(params (string Key, string Value)[] pairs) =>
            new ConfigurationBuilder().AddInMemoryCollection(pairs.Select(p => KeyValuePair.Create<string, string?>("Maximus:Memory:DualWrite:" + p.Key, p.Value))).Build();
        ServiceProvider Build(IConfiguration config) => new ServiceCollection().AddSingleton<IVectorStore>(embedded).AddDualWriteVectorStore(config).BuildServiceProvider();

        await using (var off = Build(Config()))
        {
            Assert.Same(embedded, off.GetRequiredService<IVectorStore>());
        }

        await using (var on = Build(Config(("Enabled", "true"), ("ChromaUrl", "http://127.0.0.1:9"), ("Primary", "old"), ("Until", "2999-01-01T00:00:00Z"))))
        {
            var dual = Assert.IsType<DualWriteVectorStore>(on.GetRequiredService<IVectorStore>());
            Assert.False(dual.ReadsFromNew);
            Assert.True(dual.DualWriting);
            Assert.Same(dual, on.GetRequiredService<DualWriteVectorStore>());
        }

        var bad = Assert.Throws<InvalidOperationException>(() => Build(Config(("Enabled", "true"))));
        Assert.Contains("ChromaUrl", bad.Message, StringComparison.Ordinal);
    }
}
