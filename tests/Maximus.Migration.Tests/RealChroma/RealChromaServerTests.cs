using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Migration.Chroma;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Migration.Tests.RealChroma;

/// <summary>
/// The migrator and the dual-write store against a REAL Chroma 1.0.0 server (npm chromadb 3.0.3, see <see cref="ChromaInstall"/>):
/// migration over its HTTP API, dual-write visible through its own API, and directories it wrote itself.
/// </summary>
[Collection(RealChromaCollection.Name)]
public sealed class RealChromaServerTests(ChromaServerFixture fixture) : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
    }

    private EmbeddedVectorStore Embedded(string? data = null)
    {
        var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = data ?? ChromaFixtures.TempDirectory(), BuildIndexInBackground = false });
        _owned.Add(store);
        return store;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("n")[..8]}";

    private static float[] Vector(int seed, int dimension) =>
        [.. Enumerable.Range(0, dimension).Select(d => MathF.Round(MathF.Sin((seed * 0.61f) + (d * 1.3f)) * 3, 5))];

    /// <summary>Records with every metadata kind Chroma keeps (string, int, float, bool), some without document or metadata.</summary>
    private static List<Served> Records(string prefix, int from, int count, int dimension, int version = 0) =>
        [.. Enumerable.Range(from, count).Select(i => new Served(
            $"{prefix}-{i:D5}",
            i % 11 == 0 ? null : $"memory {i} of {prefix} v{version}",
            i % 13 == 0 ? null : new JsonObject
            {
                ["user_id"] = $"user-{i % 4}",
                ["n"] = i,
                ["score"] = (i / 8.0) + version,
                ["even"] = i % 2 == 0,
                ["v"] = version,
            },
            Vector(i + (version * 1000), dimension)))];

    /// <summary>Every point the migration wrote for a Chroma collection equals what the server serves: id, document, metadata, vector.</summary>
    private static async Task AssertMigratedEqualsServedAsync(IVectorStore store, string chromaCollection, IReadOnlyList<Served> served, CancellationToken ct)
    {
        var target = ChromaMigrator.DefaultTarget(chromaCollection);
        Assert.Equal(served.Count, await store.CountAsync(target, cancellationToken: ct));
        var points = (await store.GetAsync(target, [.. served.Select(s => ChromaMigrator.PointId(chromaCollection, s.Id))], withVectors: true, ct))
            .ToDictionary(p => p.Id, StringComparer.Ordinal);
        foreach (var record in served)
        {
            Assert.True(points.TryGetValue(ChromaMigrator.PointId(chromaCollection, record.Id), out var point), $"{chromaCollection}/{record.Id} was not migrated");
            Assert.Equal(record.Id, point.Payload[ChromaMigrator.ChromaIdKey]!.GetValue<string>());
            Assert.Equal(chromaCollection, point.Payload[ChromaMigrator.ChromaCollectionKey]!.GetValue<string>());
            Assert.Equal(record.Document, point.Payload[VectorPayloadKeys.Text]?.GetValue<string>());
            var metadata = point.Payload[ChromaMigrator.ChromaMetadataKey] as JsonObject;
            Assert.True(
                JsonNode.DeepEquals(record.Metadata ?? [], metadata),
                $"{chromaCollection}/{record.Id}: served metadata {record.Metadata?.ToJsonString()}, migrated {metadata?.ToJsonString()}");
            Assert.True(record.Vector.AsSpan().SequenceEqual(point.Vector.Span), $"{chromaCollection}/{record.Id}: the vector differs from the served one");
        }
    }

    [Fact]
    public async Task Http_migration_pages_over_several_collections_and_every_record_equals_what_the_server_serves()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await fixture.SharedAsync(ct);
        using var api = new ChromaApi(server.BaseUrl);
        var docs = Unique("docs");
        var notes = Unique("notes");
        var empty = Unique("empty");
        var docsId = await api.CreateAsync(docs, "cosine", ct);
        var notesId = await api.CreateAsync(notes, "l2", ct);
        await api.CreateAsync(empty, "ip", ct);
        foreach (var chunk in Records("d", 0, 730, 12).Chunk(250))
        {
            await api.AddAsync(docsId, chunk, ct);
        }

        await api.AddAsync(notesId, Records("n", 0, 140, 5), ct);
        await api.DeleteAsync(docsId, ["d-00007", "d-00500"], ct);

        var counting = new CountingHandler();
        using var http = new HttpClient(counting) { Timeout = TimeSpan.FromSeconds(60) };
        var data = ChromaFixtures.TempDirectory();
        var store = Embedded(data);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions
            {
                From = $"chroma-http:{server.BaseUrl}",
                Collections = [docs, notes, empty],
                Verify = true,
                Json = true,
                BatchSize = 100,
                DataDirectory = data,
            },
            () => store, output, error, http: http, cancellationToken: ct);

        Assert.True(code == 0, error.ToString() + output);
        var report = JsonNode.Parse(output.ToString())!;
        Assert.Equal(728 + 140, report["written"]!.GetValue<long>());
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());
        Assert.Equal([728L, 140L, 0L], report["collections"]!.AsArray().Select(c => c!["read"]!.GetValue<long>()));
        // 728 records in pages of 100 are 8 reads, done twice (plan, then write); fewer would mean no paging.
        Assert.True(counting.Gets >= 2 * (8 + 2), $"only {counting.Gets} POST .../get requests");
        Assert.All(counting.Paths, p => Assert.StartsWith("/api/v2/", p, StringComparison.Ordinal));
        await AssertMigratedEqualsServedAsync(store, docs, await api.AllAsync(docsId, ct), ct);
        await AssertMigratedEqualsServedAsync(store, notes, await api.AllAsync(notesId, ct), ct);
        Assert.Null(await store.GetCollectionAsync(ChromaMigrator.DefaultTarget(empty), ct));
    }

    private static VectorRecord Point(string id, string text, string agent = "a", float x = 1) => new(id, new float[] { x, 2, 3, 4 }, new JsonObject
    {
        ["agentId"] = agent,
        ["type"] = "resource",
        ["text"] = text,
        ["createdAt"] = 1_700_000_000_000L,
        ["tags"] = new JsonArray("x", "y"),
        ["importance"] = 0.5,
    });

    [Fact]
    public async Task While_dual_writing_every_write_is_visible_through_chromas_own_api_rollback_reads_chroma_and_cut_over_reads_the_new_store()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await fixture.SharedAsync(ct);
        using var api = new ChromaApi(server.BaseUrl);
        var newStore = Embedded();
        // Wired as the memory service wires it: the registered store decorated from the Maximus:Memory:DualWrite section.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Maximus:Memory:DualWrite:Enabled"] = "true",
            ["Maximus:Memory:DualWrite:ChromaUrl"] = server.BaseUrl.ToString(),
            ["Maximus:Memory:DualWrite:Primary"] = "new",
        }).Build();
        await using var services = new ServiceCollection().AddSingleton<IVectorStore>(newStore).AddDualWriteVectorStore(configuration).BuildServiceProvider();
        var dual = services.GetRequiredService<DualWriteVectorStore>();
        Assert.Same(dual, services.GetRequiredService<IVectorStore>());
        var name = Unique("memories");
        await dual.EnsureCollectionAsync(new VectorCollectionSpec(name, 4, VectorDistance.Dot), ct);

        await dual.UpsertAsync(name, [Point("p1", "one"), Point("p2", "two"), Point("p3", "three", agent: "b"), Point("p4", "four", x: 5)], ct);
        await dual.DeleteAsync(name, ["p2"], ct);
        await dual.UpsertAsync(name, [Point("p4", "four again", x: 6)], ct);
        Assert.Equal(1, await dual.DeleteAsync(name, VectorFilter.ForAgent("b"), ct));

        // Chroma's own API shows exactly the dual-written state.
        var id = await api.FindAsync(name, ct);
        Assert.NotNull(id);
        var served = (await api.AllAsync(id, ct)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        Assert.Equal(["p1", "p4"], served.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("four again", served["p4"].Document);
        Assert.Equal([6f, 2f, 3f, 4f], served["p4"].Vector);
        Assert.Equal("a", served["p4"].Metadata!["agentId"]!.GetValue<string>());
        Assert.Equal("[\"x\",\"y\"]", served["p4"].Metadata!["tags"]!.GetValue<string>());
        Assert.Equal(0.5, served["p1"].Metadata!["importance"]!.GetValue<double>());
        var parity = await dual.CompareAsync(name, ct);
        Assert.True(parity.InParity, string.Join(",", parity.Different.Concat(parity.OnlyInNew).Concat(parity.OnlyInOld)));
        Assert.Equal(2, parity.Same);

        // A write the new store got alone (e.g. a bug there): rollback serves Chroma's copy, cut-over the new one.
        await newStore.UpsertAsync(name, [Point("p4", "only in new"), Point("p9", "new only")], ct);
        dual.RollBack();
        Assert.Equal("four again", (await dual.GetAsync(name, ["p4"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());
        Assert.Equal(2, await dual.CountAsync(name, cancellationToken: ct));
        var hit = Assert.Single(await dual.SearchAsync(name, new VectorSearchRequest(new float[] { 1, 0, 0, 0 }, 1, VectorFilter.ForAgent("a")), ct));
        Assert.Equal("p4", hit.Id);
        Assert.Equal(6f, hit.Score, 3);
        Assert.Equal(new JsonArray("x", "y").ToJsonString(), hit.Payload!["tags"]!.ToJsonString());

        dual.CutOver();
        Assert.Equal("only in new", (await dual.GetAsync(name, ["p4"], cancellationToken: ct)).Single().Payload["text"]!.GetValue<string>());
        Assert.Equal(3, await dual.CountAsync(name, cancellationToken: ct));

        // After the period, writes go to the new store only: Chroma keeps what it had.
        dual.EndDualWrite();
        await dual.UpsertAsync(name, [Point("p5", "after the period")], ct);
        await dual.DeleteAsync(name, ["p1"], ct);
        Assert.Equal(["p1", "p4"], (await api.AllAsync(id, ct)).Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["p4", "p5", "p9"], (await newStore.ScrollAsync(name, new VectorScrollRequest(10), ct)).Records.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Filters_translate_to_chroma_where_and_the_server_refuses_what_does_not_fit()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await fixture.SharedAsync(ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var chroma = new ChromaVectorStore(new ChromaHttpClient(http, server.BaseUrl));
        var name = Unique("filters");
        await chroma.EnsureCollectionAsync(new VectorCollectionSpec(name, 4, VectorDistance.Dot), ct);
        await chroma.UpsertAsync(name, [Point("p1", "one"), Point("p2", "two") with { Payload = new JsonObject { ["agentId"] = "b", ["createdAt"] = 5 } }, Point("p3", "three", agent: "c")], ct);

        var filter = VectorFilter.Where(VectorCondition.Range("createdAt", gte: 1)).AndNot(VectorCondition.Match("agentId", "a"));
        Assert.Equal(2, await chroma.CountAsync(name, filter, ct));

        // A read that asks for some payload keys gets those (the server sends the whole metadata; the adapter keeps them).
        var hit = Assert.Single(await chroma.SearchAsync(name, new VectorSearchRequest(new float[] { 1, 0, 0, 0 }, 1, VectorFilter.ForAgent("c")) { PayloadKeys = ["agentId", "missing"] }, ct));
        Assert.Equal(["agentId"], hit.Payload!.Select(p => p.Key));
        var records = (await chroma.ScrollAsync(name, new VectorScrollRequest(10) { PayloadKeys = ["text"] }, ct)).Records;
        Assert.Equal(["p1", "p2", "p3"], records.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.All(records, r => Assert.Equal(r.Id == "p2" ? [] : ["text"], r.Payload.Select(p => p.Key)));
        Assert.Equal(1, await chroma.CountAsync(name, VectorFilter.ForAgent("c"), ct));
        Assert.Equal(1, await chroma.DeleteAsync(name, VectorFilter.ForAgent("b"), ct));
        Assert.Equal(2, await chroma.CountAsync(name, cancellationToken: ct));
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => chroma.DeleteAsync(name, VectorFilter.Empty.NotExpired(DateTimeOffset.UnixEpoch), ct));
        Assert.Contains("expiresAt", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => chroma.CountAsync(Unique("missing"), cancellationToken: ct));
        await Assert.ThrowsAsync<ArgumentException>(() => chroma.UpsertAsync(name, [new VectorRecord("x", new float[] { 1 }, [])], ct));
        var other = await Assert.ThrowsAsync<ArgumentException>(() => chroma.EnsureCollectionAsync(new VectorCollectionSpec(name, 8, VectorDistance.Dot), ct));
        Assert.Contains("dimension 4", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_the_server_wrote_migrates_to_exactly_what_the_restarted_server_serves()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Path.Combine(ChromaFixtures.TempDirectory(), "chroma");
        const int Dimension = 8;
        await using (var server = await ChromaServerFixture.StartAsync(directory, ct))
        {
            using var api = new ChromaApi(server.BaseUrl);
            // "big": more adds than the HNSW sync threshold (1000), so its segment is flushed; the later writes stay in the log.
            var big = await api.CreateAsync("big", "cosine", ct);
            foreach (var chunk in Records("b", 0, 1300, Dimension).Chunk(100))
            {
                await api.AddAsync(big, chunk, ct);
            }

            await api.UpdateAsync(big, Records("b", 10, 40, Dimension, version: 1), ct);
            await api.UpsertAsync(big, Records("b", 1280, 50, Dimension, version: 2), ct); // 20 existing, 30 new
            await api.DeleteAsync(big, Enumerable.Range(100, 25).Select(i => $"b-{i:D5}"), ct);
            await api.AddAsync(big, Records("b", 100, 5, Dimension, version: 3), ct); // re-added after delete
            await api.UpdateAsync(big, Records("b", 1300, 3, Dimension, version: 4)[2..], ct); // 1302 exists (upserted)

            // "small": never flushed (log only), every operation.
            var small = await api.CreateAsync("small", "l2", ct);
            await api.AddAsync(small, Records("s", 0, 120, Dimension), ct);
            await api.UpdateAsync(small, Records("s", 0, 10, Dimension, version: 1), ct);
            await api.UpsertAsync(small, Records("s", 110, 20, Dimension, version: 2), ct);
            await api.DeleteAsync(small, ["s-00003", "s-00050", "s-00125"], ct);

            // "inner": inner product, flushed once, then more adds.
            var inner = await api.CreateAsync("inner", "ip", ct);
            await api.AddAsync(inner, Records("i", 0, 1001, Dimension), ct);
            await api.AddAsync(inner, Records("i", 1001, 77, Dimension), ct);
            await api.DeleteAsync(inner, ["i-00000", "i-01077"], ct);

            await server.StopAsync();
        }

        // Both paths of the reader are exercised: flushed HNSW segments and writes after max_seq_id in embeddings_queue.
        var segments = VectorSegments(directory);
        foreach (var flushed in new[] { "big", "inner" })
        {
            Assert.True(segments[flushed].MaxSeqId is not null, $"'{flushed}' was not flushed");
            Assert.True(File.Exists(Path.Combine(directory, segments[flushed].Id, "index_metadata.pickle")), $"'{flushed}' has no id map");
            Assert.True(segments[flushed].Queued > 0, $"'{flushed}' has no write after its max_seq_id");
        }

        Assert.Null(segments["small"].MaxSeqId);
        Assert.True(segments["small"].Queued > 0);

        var copy = Path.Combine(ChromaFixtures.TempDirectory(), "chroma");
        CopyDirectory(directory, copy);
        var data = ChromaFixtures.TempDirectory();
        var store = Embedded(data);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MigrateCommand.RunAsync(
            new MigrateCommandOptions { From = "chroma:" + directory, Verify = true, Json = true, DataDirectory = data },
            () => store, output, error, cancellationToken: ct);
        Assert.True(code == 0, error.ToString() + output);
        var report = JsonNode.Parse(output.ToString())!;
        Assert.Equal(0, report["mismatched"]!.GetValue<long>());

        await using var restarted = await ChromaServerFixture.StartAsync(copy, ct);
        using var served = new ChromaApi(restarted.BaseUrl);
        var expectedCounts = new Dictionary<string, int> { ["big"] = 1300 + 30 - 25 + 5, ["small"] = 120 + 10 - 3, ["inner"] = 1078 - 2 };
        foreach (var (name, count) in expectedCounts)
        {
            var all = await served.AllAsync((await served.FindAsync(name, ct))!, ct);
            Assert.Equal(count, all.Count);
            await AssertMigratedEqualsServedAsync(store, name, all, ct);
        }

        Assert.Equal(expectedCounts.Values.Sum(), report["written"]!.GetValue<long>());
    }

    /// <summary>Per collection: its vector segment, the segment's max_seq_id (null: never flushed) and the writes in embeddings_queue after it.</summary>
    private static Dictionary<string, (string Id, long? MaxSeqId, long Queued)> VectorSegments(string directory)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(directory, "chroma.sqlite3")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = """
            SELECT c.name, s.id, m.seq_id,
                   (SELECT COUNT(*) FROM embeddings_queue q WHERE q.topic LIKE '%/' || c.id AND q.seq_id > COALESCE(m.seq_id, 0))
            FROM collections c JOIN segments s ON s.collection = c.id AND s.scope = 'VECTOR'
            LEFT JOIN max_seq_id m ON m.segment_id = s.id
            """;
        using var reader = command.ExecuteReader();
        var result = new Dictionary<string, (string, long?, long)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            result[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt64(3));
        }

        return result;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Counts the requests the migrator sends (and their paths) on the way to the real server.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new HttpClientHandler())
    {
        private int _gets;

        public int Gets => _gets;

        public System.Collections.Concurrent.ConcurrentQueue<string> Paths { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Paths.Enqueue(request.RequestUri!.AbsolutePath);
            if (request.Method == HttpMethod.Post && request.RequestUri.AbsolutePath.EndsWith("/get", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _gets);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
