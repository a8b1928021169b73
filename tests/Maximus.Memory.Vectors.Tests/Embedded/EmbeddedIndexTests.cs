using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Memory.Vectors.Tests.Embedded;

/// <summary>The embedded store's HNSW index: persistence, rebuild when missing or stale, recall, filters and concurrency.</summary>
public sealed class EmbeddedIndexTests : IDisposable
{
    private const int Dimension = 32;
    private const string Collection = VectorCollections.Memories;
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Index_is_built_at_the_threshold_saved_on_dispose_and_loaded_at_the_next_start()
    {
        var points = RandomPoints(600, seed: 1);
        using (var store = Open(threshold: 500))
        {
            await store.EnsureCollectionAsync(Spec(), Ct);
            await store.UpsertAsync(Collection, points[..400], Ct);
            Assert.Equal(VectorIndexState.None, store.GetIndexStatus(Collection).State);

            await store.UpsertAsync(Collection, points[400..], Ct);
            var built = store.GetIndexStatus(Collection);
            Assert.Equal(VectorIndexState.Ready, built.State);
            Assert.Equal(600, built.IndexedPoints);
            Assert.False(built.LoadedFromDisk);
        }

        using var reopened = Open(threshold: 500);
        var hits = await reopened.SearchAsync(Collection, new VectorSearchRequest(points[42].Vector, 1), Ct);
        var status = reopened.GetIndexStatus(Collection);

        Assert.True(File.Exists(Assert.Single(status.IndexFiles)));
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.True(status.LoadedFromDisk);
        Assert.Equal(600, status.IndexedPoints);
        Assert.Equal("p42", Assert.Single(hits).Id);
    }

    [Fact]
    public async Task Bulk_load_builds_no_index_until_it_ends_searches_exactly_meanwhile_then_builds_once()
    {
        var points = RandomPoints(900, seed: 11);
        using var store = Open(threshold: 200);
        await store.EnsureCollectionAsync(Spec(), Ct);
        var bulk = store.BeginBulkLoad(Collection);
        foreach (var chunk in points.Chunk(150))
        {
            await store.UpsertAsync(Collection, chunk, Ct);
        }

        var during = store.GetIndexStatus(Collection);
        var exact = await store.SearchAsync(Collection, new VectorSearchRequest(points[777].Vector, 5), Ct);
        bulk.Dispose();
        bulk.Dispose();
        var after = store.GetIndexStatus(Collection);
        var indexed = await store.SearchAsync(Collection, new VectorSearchRequest(points[777].Vector, 1), Ct);

        Assert.Equal(VectorIndexState.None, during.State);
        Assert.Equal(900, during.Points);
        Assert.Equal(0, during.IndexedPoints);
        Assert.Equal("p777", exact[0].Id);
        Assert.Equal(1f, exact[0].Score, 4);
        Assert.Equal(VectorIndexState.Ready, after.State);
        Assert.Equal(900, after.IndexedPoints);
        Assert.Equal("p777", Assert.Single(indexed).Id);
    }

    [Fact]
    public async Task Bulk_load_keeps_a_ready_index_up_to_date_and_defers_a_rebuild_to_its_end()
    {
        var points = RandomPoints(700, seed: 12);
        using var store = Open(threshold: 100);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points[..300], Ct);
        Assert.Equal(300, store.GetIndexStatus(Collection).IndexedPoints);

        using (store.BeginBulkLoad(Collection))
        {
            await store.UpsertAsync(Collection, points[300..500], Ct);
            await store.DeleteAsync(Collection, ["p5"], Ct);
            Assert.Equal(499, store.GetIndexStatus(Collection).IndexedPoints);

            // A rebuild asked for during the bulk load drops the index and waits for the end.
            await store.RebuildIndexAsync(Collection, Ct);
            await store.UpsertAsync(Collection, points[500..], Ct);
            Assert.Equal(VectorIndexState.None, store.GetIndexStatus(Collection).State);
        }

        var status = store.GetIndexStatus(Collection);
        var hit = Assert.Single(await store.SearchAsync(Collection, new VectorSearchRequest(points[650].Vector, 1), Ct));
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal(699, status.IndexedPoints);
        Assert.Equal("p650", hit.Id);
    }

    [Fact]
    public async Task Bulk_load_begun_while_a_background_build_may_run_ends_with_a_complete_index()
    {
        var points = RandomPoints(6000, seed: 13);
        using var store = Open(threshold: 1000, background: true);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points[..5000], Ct);
        using (store.BeginBulkLoad(Collection))
        {
            await store.UpsertAsync(Collection, points[5000..], Ct);
            await store.WaitForIndexAsync(Collection, Ct);
            var hit = Assert.Single(await store.SearchAsync(Collection, new VectorSearchRequest(points[5999].Vector, 1), Ct));
            Assert.Equal("p5999", hit.Id);
        }

        await store.WaitForIndexAsync(Collection, Ct);
        var status = store.GetIndexStatus(Collection);
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal(6000, status.IndexedPoints);
    }

    [Fact]
    public async Task Stale_index_after_a_crash_is_rebuilt_from_sqlite_and_finds_the_new_points()
    {
        var points = RandomPoints(300, seed: 2);
        using (var store = Open(threshold: 100))
        {
            await store.EnsureCollectionAsync(Spec(), Ct);
            await store.UpsertAsync(Collection, points[..250], Ct);
            await store.FlushAsync(Ct);
        }

        // A "crash": writes after the last save, and the index is not saved on the way out.
        using (var store = Open(threshold: 100, saveOnDispose: false))
        {
            Assert.True(store.GetIndexStatus(Collection).LoadedFromDisk);
            await store.UpsertAsync(Collection, points[250..], Ct);
            await store.DeleteAsync(Collection, ["p3"], Ct);
        }

        using var reopened = Open(threshold: 100);
        var status = reopened.GetIndexStatus(Collection);
        var newest = await reopened.SearchAsync(Collection, new VectorSearchRequest(points[299].Vector, 1), Ct);
        var deleted = await reopened.SearchAsync(Collection, new VectorSearchRequest(points[3].Vector, 1), Ct);

        Assert.False(status.LoadedFromDisk);
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal(299, status.IndexedPoints);
        Assert.Equal("p299", Assert.Single(newest).Id);
        Assert.NotEqual("p3", Assert.Single(deleted).Id);
    }

    [Fact]
    public async Task Missing_or_corrupt_index_file_is_rebuilt()
    {
        var points = RandomPoints(200, seed: 3);
        string path;
        using (var store = Open(threshold: 50))
        {
            await store.EnsureCollectionAsync(Spec(), Ct);
            await store.UpsertAsync(Collection, points, Ct);
            path = Assert.Single(store.GetIndexStatus(Collection).IndexFiles);
        }

        File.Delete(path);
        using (var store = Open(threshold: 50))
        {
            Assert.False(store.GetIndexStatus(Collection).LoadedFromDisk);
            Assert.Equal(200, store.GetIndexStatus(Collection).IndexedPoints);
        }

        await File.WriteAllBytesAsync(path, [1, 2, 3, 4, 5], Ct);
        using var reopened = Open(threshold: 50);
        var status = reopened.GetIndexStatus(Collection);
        var hit = Assert.Single(await reopened.SearchAsync(Collection, new VectorSearchRequest(points[7].Vector, 1), Ct));

        Assert.False(status.LoadedFromDisk);
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal("p7", hit.Id);
    }

    [Fact]
    public async Task Background_build_keeps_searches_exact_meanwhile_and_replays_writes_made_during_the_build()
    {
        var points = RandomPoints(3000, seed: 4);
        using var store = Open(threshold: 1000, background: true);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points[..2500], Ct);

        // Writes and searches while the index may still be building.
        await store.UpsertAsync(Collection, points[2500..], Ct);
        await store.DeleteAsync(Collection, ["p10"], Ct);
        var during = await store.SearchAsync(Collection, new VectorSearchRequest(points[2999].Vector, 1), Ct);
        await store.WaitForIndexAsync(Collection, Ct);
        var status = store.GetIndexStatus(Collection);

        Assert.Equal("p2999", Assert.Single(during).Id);
        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal(2999, status.IndexedPoints);
        Assert.NotNull(status.LastBuildSeconds);
        Assert.Equal("p2998", Assert.Single(await store.SearchAsync(Collection, new VectorSearchRequest(points[2998].Vector, 1), Ct)).Id);
        Assert.NotEqual("p10", Assert.Single(await store.SearchAsync(Collection, new VectorSearchRequest(points[10].Vector, 1), Ct)).Id);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Hnsw_recall_at_10_against_exact_search_is_at_least_0_97_filtered_or_not(bool tenantPartitions)
    {
        var points = RandomPoints(5000, seed: 5, agents: 4);
        using var hnsw = Open(threshold: 0, directory: "hnsw");
        using var exact = Open(threshold: 1_000_000, directory: "exact");
        foreach (var store in new[] { hnsw, exact })
        {
            await store.EnsureCollectionAsync(Spec(tenantPartitions), Ct);
            await store.UpsertAsync(Collection, points, Ct);
        }

        var random = new Random(55);
        double found = 0, expected = 0;
        for (var q = 0; q < 100; q++)
        {
            var query = RandomVector(random);
            var filter = (q % 3) switch
            {
                0 => null,
                1 => VectorFilter.ForAgent($"agent-{q % 4}"),
                _ => VectorFilter.ForAgent($"agent-{q % 4}").OfTypes("episodic", "semantic"),
            };
            var truth = (await exact.SearchAsync(Collection, new VectorSearchRequest(query, 10, filter), Ct)).Select(h => h.Id).ToHashSet();
            var approx = await hnsw.SearchAsync(Collection, new VectorSearchRequest(query, 10, filter), Ct);
            found += approx.Count(h => truth.Contains(h.Id));
            expected += truth.Count;
        }

        // Uniform random vectors are the graph's worst case (no structure to walk), and the graph is built on parallel threads,
        // so its shape and recall vary run to run: one graph 0.988–0.992 in isolation, 0.978 once in a loaded CI run (a
        // filter passing a quarter of the points is searched on the graph). The product's bar, recall@10 ≥ 0.98 on real
        // embeddings, is `bench memory`'s (0.991 at 100k); a broken graph or filter falls far below this one.
        Assert.True(found / expected >= 0.97, $"recall@10 = {found / expected:0.000}");
        Assert.Equal(tenantPartitions ? 4 : 1, hnsw.GetIndexStatus(Collection).Indexes);
    }

    [Fact]
    public async Task Every_large_tenant_gets_its_own_index_and_points_follow_a_change_of_tenant()
    {
        var random = new Random(9);
        var points = Enumerable.Range(0, 1250)
            .Select(i => Point($"p{i}", RandomVector(random), agent: i < 600 ? "agent-0" : i < 1200 ? "agent-1" : "agent-2", type: "episodic"))
            .ToList();
        using var store = Open(threshold: 500);
        await store.EnsureCollectionAsync(Spec(tenantPartitions: true), Ct);
        await store.UpsertAsync(Collection, points, Ct);

        var status = store.GetIndexStatus(Collection);
        var small = await store.SearchAsync(Collection, new VectorSearchRequest(points[1210].Vector, 3, VectorFilter.ForAgent("agent-2")), Ct);
        await store.UpsertAsync(Collection, [Point("p5", points[5].Vector.ToArray(), agent: "agent-1", type: "episodic")], Ct);
        var moved = await store.SearchAsync(Collection, new VectorSearchRequest(points[5].Vector, 1, VectorFilter.ForAgent("agent-1")), Ct);
        var left = await store.SearchAsync(Collection, new VectorSearchRequest(points[5].Vector, 1, VectorFilter.ForAgent("agent-0")), Ct);
        var anyone = await store.SearchAsync(Collection, new VectorSearchRequest(points[1249].Vector, 1), Ct);

        Assert.Equal(VectorIndexState.Ready, status.State);
        Assert.Equal(2, status.Indexes);
        Assert.Equal(1200, status.IndexedPoints);
        Assert.Equal("p1210", small[0].Id);
        Assert.All(small, h => Assert.Equal("agent-2", h.Payload![VectorPayloadKeys.AgentId]!.GetValue<string>()));
        Assert.Equal("p5", Assert.Single(moved).Id);
        Assert.NotEqual("p5", Assert.Single(left).Id);
        Assert.Equal("p1249", Assert.Single(anyone).Id);
        Assert.Equal(1200, store.GetIndexStatus(Collection).IndexedPoints);
    }

    [Fact]
    public async Task Selective_filter_on_a_large_collection_still_returns_every_match()
    {
        var points = RandomPoints(2000, seed: 6, agents: 1).ToList();
        points.Add(Point("rare-1", RandomVector(new Random(61)), agent: "agent-rare", type: "vault-like"));
        points.Add(Point("rare-2", RandomVector(new Random(62)), agent: "agent-rare", type: "vault-like"));
        using var store = Open(threshold: 0);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points, Ct);

        var byAgent = await store.SearchAsync(Collection, new VectorSearchRequest(points[0].Vector, 10, VectorFilter.ForAgent("agent-rare")), Ct);
        var byRange = await store.SearchAsync(
            Collection, new VectorSearchRequest(points[0].Vector, 10, VectorFilter.Where(VectorCondition.Range("rank", gte: 1998))), Ct);
        var byUnindexed = await store.SearchAsync(
            Collection, new VectorSearchRequest(points[0].Vector, 10, VectorFilter.Where(VectorCondition.Match(VectorPayloadKeys.Text, "memory rare-2"))), Ct);

        Assert.Equal(["rare-1", "rare-2"], byAgent.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["p1998", "p1999"], byRange.Select(h => h.Id).Order(StringComparer.Ordinal));
        Assert.Equal(["rare-2"], byUnindexed.Select(h => h.Id));
    }

    [Fact]
    public async Task A_narrow_range_on_an_indexed_number_is_searched_exactly_and_a_wide_one_through_the_graph()
    {
        var points = RandomPoints(2000, seed: 8, agents: 1);
        var spec = RankIndexed(Spec());
        using var store = Open(threshold: 64);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(Collection, points, Ct);
        var query = RandomVector(new Random(81));

        // 10 of 2,000 points in range: a filtered graph search would walk past the other 1,990.
        var exactBefore = store.ExactPartitionSearches;
        var narrow = await store.SearchAsync(
            Collection, new VectorSearchRequest(query, 5, VectorFilter.Where(VectorCondition.Range("rank", gte: 1990))), Ct);
        Assert.Equal(exactBefore + 1, store.ExactPartitionSearches);
        var expected = points.Where(p => p.Payload["rank"]!.GetValue<int>() >= 1990)
            .OrderByDescending(p => Cosine(query, p.Vector.Span)).Take(5).Select(p => p.Id);
        Assert.Equal(expected, narrow.Select(h => h.Id));

        // Nearly all in range: the graph answers.
        var wide = await store.SearchAsync(
            Collection, new VectorSearchRequest(query, 5, VectorFilter.Where(VectorCondition.Range("rank", gte: 10))), Ct);
        Assert.Equal(exactBefore + 1, store.ExactPartitionSearches);
        Assert.Equal(5, wide.Count);
        Assert.All(wide, h => Assert.True(int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture) >= 10));
    }

    [Fact]
    public async Task A_range_that_half_of_one_tenants_points_pass_stays_on_that_tenants_graph()
    {
        // 12 tenants of 1,000 points: the estimate must count the searched tenant's points only (the other tenants' fail
        // the filter too, and counting them made half of one tenant look like 4 % of it).
        var points = RandomPoints(12_000, seed: 9, agents: 12);
        var spec = RankIndexed(Spec(tenantPartitions: true));
        using var store = Open(threshold: 64);
        await store.EnsureCollectionAsync(spec, Ct);
        await store.UpsertAsync(Collection, points, Ct);

        var exactBefore = store.ExactPartitionSearches;
        var hits = await store.SearchAsync(
            Collection,
            new VectorSearchRequest(RandomVector(new Random(91)), 5, VectorFilter.ForAgent("agent-0").And(VectorCondition.Range("rank", gte: 6000))),
            Ct);

        Assert.Equal(exactBefore, store.ExactPartitionSearches);
        Assert.Equal(5, hits.Count);
        Assert.All(hits, h => Assert.True(int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture) is >= 6000 and var rank && rank % 12 == 0));
    }

    /// <summary>The spec with the points' <c>rank</c> (see <see cref="RandomPoints"/>) indexed as an integer.</summary>
    private static VectorCollectionSpec RankIndexed(VectorCollectionSpec spec) =>
        spec with { PayloadIndexes = new Dictionary<string, PayloadIndexKind>(spec.PayloadIndexes) { ["rank"] = PayloadIndexKind.Integer } };

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    [Fact]
    public async Task Concurrent_searches_and_writes_lose_nothing_and_never_fail()
    {
        var points = RandomPoints(1500, seed: 7);
        using var store = Open(threshold: 200);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points[..500], Ct);

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(
            async () =>
            {
                for (var i = 500 + w; i < 1500; i += 4)
                {
                    await store.UpsertAsync(Collection, [points[i]], Ct);
                }
            },
            Ct));
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(
            async () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    var hits = await store.SearchAsync(Collection, new VectorSearchRequest(points[i].Vector, 5, VectorFilter.ForAgent("agent-0")), Ct);
                    Assert.All(hits, h => Assert.Equal("agent-0", h.Payload![VectorPayloadKeys.AgentId]!.GetValue<string>()));
                }
            },
            Ct));
        await Task.WhenAll(writers.Concat(readers));

        Assert.Equal(1500, await store.CountAsync(Collection, null, Ct));
        Assert.Equal(1500, store.GetIndexStatus(Collection).IndexedPoints);
        Assert.Equal("p1499", Assert.Single(await store.SearchAsync(Collection, new VectorSearchRequest(points[1499].Vector, 1), Ct)).Id);
    }

    [Theory]
    [InlineData(HnswScalar.F16)]
    [InlineData(HnswScalar.I8)]
    public async Task A_compact_index_with_exact_rescoring_keeps_the_exact_order(HnswScalar scalar)
    {
        var points = RandomPoints(1000, seed: 8);
        using var store = Open(threshold: 0, scalar: scalar);
        await store.EnsureCollectionAsync(Spec(), Ct);
        await store.UpsertAsync(Collection, points, Ct);

        var hits = await store.SearchAsync(Collection, new VectorSearchRequest(points[5].Vector, 5), Ct);
        var query = points[5].Vector.ToArray();

        Assert.Equal("p5", hits[0].Id);
        Assert.Equal(1f, hits[0].Score, 4);
        Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Id), hits.Select(h => h.Id));
        Assert.All(hits, h => Assert.Equal(TensorPrimitives.CosineSimilarity(query, points[int.Parse(h.Id[1..], System.Globalization.CultureInfo.InvariantCulture)].Vector.Span), h.Score, 4));
    }

    [Fact]
    public async Task A_dot_product_collection_of_long_vectors_gets_a_graph_that_holds_them_when_I8_is_configured()
    {
        // Components far outside ±1: an int8 graph (× 127, clamped) would see most of them as ±127 and walk to the wrong
        // neighbours; the store gives such a collection an F16 graph, which finds what exact search finds.
        var random = new Random(31);
        var points = Enumerable.Range(0, 1500).Select(i =>
        {
            var length = 5 + (float)(random.NextDouble() * 20);
            var vector = RandomVector(random);
            TensorPrimitives.Multiply(vector, length / TensorPrimitives.Norm(vector), vector);
            return Point($"p{i}", vector, "agent-0", "episodic");
        }).ToArray();
        using var store = Open(threshold: 0, scalar: HnswScalar.I8);
        await store.EnsureCollectionAsync(Spec() with { Distance = VectorDistance.Dot }, Ct);
        await store.UpsertAsync(Collection, points, Ct);
        Assert.Equal(VectorIndexState.Ready, store.GetIndexStatus(Collection).State);

        var found = 0;
        for (var q = 0; q < 30; q++)
        {
            var query = RandomVector(random);
            var exact = points.OrderByDescending(p => TensorPrimitives.Dot(query, p.Vector.Span)).Take(10).Select(p => p.Id).ToHashSet();
            var hits = await store.SearchAsync(Collection, new VectorSearchRequest(query, 10), Ct);
            found += hits.Count(h => exact.Contains(h.Id));
        }

        Assert.True(found >= 0.95 * 300, $"recall@10 of the graph against exact search: {found / 300.0:0.000}");
        Assert.Equal(HnswScalar.I8, EmbeddedVectorStore.GraphScalar(VectorDistance.Cosine, HnswScalar.I8));
        Assert.Equal(HnswScalar.F16, EmbeddedVectorStore.GraphScalar(VectorDistance.Dot, HnswScalar.I8));
    }

    [Theory]
    [InlineData(1_300)]
    [InlineData(EmbeddedVectorStore.TwoThreadLoadPoints + 1_300)]
    public async Task A_collection_loaded_at_start_answers_every_kind_of_search_like_the_store_that_wrote_it(int count)
    {
        // Loaded on one thread, or on two (several chunks); a tenant key, keyword, range and keyword-search fields.
        var points = RandomPoints(count, seed: 71, agents: 4);
        var spec = Spec(tenantPartitions: true) with
        {
            PayloadIndexes = new Dictionary<string, PayloadIndexKind>(Spec(tenantPartitions: true).PayloadIndexes) { ["rank"] = PayloadIndexKind.Integer },
            TextField = VectorPayloadKeys.Text,
        };
        var random = new Random(72);
        var queries = Enumerable.Range(0, 20).Select(_ => RandomVector(random)).ToList();
        var filter = VectorFilter.ForAgent("agent-2").And(VectorCondition.Range("rank", gte: 200, lt: 1_000)).And(VectorCondition.Match(VectorPayloadKeys.Type, "semantic"));
        async Task<List<string>> AnswersAsync(EmbeddedVectorStore store)
        {
            var answers = new List<string> { $"count {(await store.GetCollectionAsync(Collection, Ct))!.Count}" };
            foreach (var query in queries)
            {
                answers.Add(string.Join(",", (await store.SearchAsync(Collection, new VectorSearchRequest(query, 5, filter), Ct)).Select(h => h.Id)));
                answers.Add(string.Join(",", (await store.SearchAsync(Collection, new VectorSearchRequest(query, 5), Ct)).Select(h => h.Id)));
            }

            answers.Add(string.Join(",", (await store.SearchTextAsync(Collection, new VectorTextSearchRequest("memory p1234", 5), Ct)).Select(h => h.Id)));
            answers.Add(string.Join(",", (await store.SearchTextAsync(Collection, new VectorTextSearchRequest("memory p77", 5, VectorFilter.ForAgent("agent-1")), Ct)).Select(h => h.Id)));
            return answers;
        }

        List<string> written;
        using (var store = Open(threshold: 100_000))
        {
            await store.EnsureCollectionAsync(spec, Ct);
            await store.UpsertAsync(Collection, points, Ct);
            await store.DeleteAsync(Collection, ["p5", "p600"], Ct);
            written = await AnswersAsync(store);
        }

        using var reopened = Open(threshold: 100_000);
        var loaded = await AnswersAsync(reopened);

        Assert.Equal($"count {points.Length - 2}", loaded[0]);
        Assert.Equal(written, loaded);
        Assert.StartsWith("p1234", loaded[^2], StringComparison.Ordinal);
        Assert.Contains(written.Skip(1), a => a.Length > 0);
    }

    [Fact]
    public async Task Disposing_the_store_while_searches_and_writes_run_waits_for_them_and_refuses_the_later_ones()
    {
        // A host that stops while requests are still in flight disposes the store under them: the HNSW index (native
        // memory) must not be freed while a search or an insertion is inside it (a crash of the process, not an exception).
        var points = RandomPoints(2000, seed: 23);
        var refused = 0;
        for (var round = 0; round < 12; round++)
        {
            var store = Open(threshold: 500, saveOnDispose: false, directory: $"race-{round}");
            await store.EnsureCollectionAsync(Spec(), Ct);
            await store.UpsertAsync(Collection, points, Ct);
            Assert.Equal(VectorIndexState.Ready, store.GetIndexStatus(Collection).State);

            using var stop = new CancellationTokenSource();
            var completed = new int[4];
            var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                var random = new Random((round * 10) + w);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        if (w == 0)
                        {
                            await store.UpsertAsync(Collection, [Point($"n{round}-{completed[w]}", RandomVector(random), "agent-0", "episodic")], Ct);
                        }
                        else
                        {
                            await store.SearchAsync(Collection, new VectorSearchRequest(RandomVector(random), 10), Ct);
                        }

                        Interlocked.Increment(ref completed[w]);
                    }
                    catch (ObjectDisposedException)
                    {
                        Interlocked.Increment(ref refused);
                        return;
                    }
                }
            })).ToArray();

            // Disposed while every worker is in its loop (each has finished at least one call), at varying moments.
            while (Enumerable.Range(0, completed.Length).Any(i => Volatile.Read(ref completed[i]) == 0))
            {
                await Task.Delay(1, Ct);
            }

            await Task.Delay(round % 5 * 5, Ct);
            store.Dispose();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            await Assert.ThrowsAsync<ObjectDisposedException>(() => store.SearchAsync(Collection, new VectorSearchRequest(points[0].Vector, 1), Ct));
        }

        // A worker between two calls when the store closed may see the stop first and make no further call; across the
        // rounds, workers did call after the close and were refused.
        Assert.True(refused > 0, "no call was refused after the store closed");
    }

    private static VectorCollectionSpec Spec(bool tenantPartitions = false) => new(Collection, Dimension)
    {
        PayloadIndexes = new Dictionary<string, PayloadIndexKind>
        {
            [VectorPayloadKeys.AgentId] = tenantPartitions ? PayloadIndexKind.Tenant : PayloadIndexKind.Keyword,
            [VectorPayloadKeys.Type] = PayloadIndexKind.Keyword,
        },
    };

    private EmbeddedVectorStore Open(
        int threshold, bool saveOnDispose = true, bool background = false, HnswScalar scalar = HnswScalar.F32, string directory = "store") =>
        new(new EmbeddedVectorStoreOptions
        {
            DataDirectory = Path.Combine(_directory.Path, directory),
            IndexThreshold = threshold,
            BuildIndexInBackground = background,
            SaveIndexOnDispose = saveOnDispose,
            IndexScalar = scalar,
        });

    private static float[] RandomVector(Random random)
    {
        var v = new float[Dimension];
        for (var i = 0; i < Dimension; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    private static VectorRecord[] RandomPoints(int count, int seed, int agents = 3)
    {
        var random = new Random(seed);
        string[] types = ["episodic", "semantic", "procedural", "resource"];
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var point = Point($"p{i}", RandomVector(random), agent: $"agent-{i % agents}", type: types[i % types.Length]);
            point.Payload["rank"] = i;
            return point;
        })];
    }

    private static VectorRecord Point(string id, float[] vector, string agent, string type) => new(id, vector, new JsonObject
    {
        [VectorPayloadKeys.AgentId] = agent,
        [VectorPayloadKeys.Type] = type,
        [VectorPayloadKeys.Text] = $"memory {id}",
    });
}
