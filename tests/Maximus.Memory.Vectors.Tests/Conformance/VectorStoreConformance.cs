using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;

namespace Maximus.Memory.Vectors.Tests.Conformance;

/// <summary>
/// What every adapter of <see cref="IVectorStore"/> must do (CONVENTIONS 15). Each subclass runs the same tests against
/// one adapter; every test works in a collection of its own, created in <see cref="InitializeAsync"/>.
/// </summary>
public abstract class VectorStoreConformance : IAsyncLifetime
{
    protected const int Dimension = 8;

    private IVectorStore? _store;

    protected VectorStoreConformance()
    {
        Collection = "conformance-" + Guid.NewGuid().ToString("N")[..12];
    }

    protected string Collection { get; }

    protected IVectorStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public virtual async ValueTask InitializeAsync()
    {
        _store = await OpenStoreAsync();
        await Store.EnsureCollectionAsync(Spec(), Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DeleteCollectionAsync(Collection, CancellationToken.None);
            await CloseStoreAsync(_store);
            _store = null;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Opens the adapter (again, over the same data, when called a second time).</summary>
    protected abstract ValueTask<IVectorStore> OpenStoreAsync();

    protected virtual ValueTask CloseStoreAsync(IVectorStore store)
    {
        (store as IDisposable)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the store and opens it again over the same data.</summary>
    protected async Task ReopenAsync()
    {
        await CloseStoreAsync(Store);
        _store = null;
        _store = await OpenStoreAsync();
    }

    protected VectorCollectionSpec Spec(int dimension = Dimension) => new(Collection, dimension)
    {
        PayloadIndexes = new Dictionary<string, PayloadIndexKind>
        {
            [VectorPayloadKeys.AgentId] = PayloadIndexKind.Tenant,
            [VectorPayloadKeys.Type] = PayloadIndexKind.Keyword,
            [VectorPayloadKeys.ExpiresAt] = PayloadIndexKind.Integer,
        },
    };

    /// <summary>A unit vector along axis <paramref name="axis"/>, plus <paramref name="tilt"/> along the next axis.</summary>
    protected static float[] Axis(int axis, float tilt = 0, int dimension = Dimension)
    {
        var v = new float[dimension];
        v[axis % dimension] = 1;
        v[(axis + 1) % dimension] += tilt;
        return v;
    }

    protected static VectorRecord Point(string id, float[] vector, string agent = "agent-a", string type = "episodic", long? expiresAt = null, string[]? tags = null)
    {
        var payload = new JsonObject
        {
            [VectorPayloadKeys.AgentId] = agent,
            [VectorPayloadKeys.Type] = type,
            [VectorPayloadKeys.Text] = $"memory {id}",
            [VectorPayloadKeys.CreatedAt] = 1_700_000_000_000L,
        };
        if (expiresAt is { } expires)
        {
            payload[VectorPayloadKeys.ExpiresAt] = expires;
        }

        if (tags is not null)
        {
            payload[VectorPayloadKeys.Tags] = new JsonArray([.. tags.Select(t => JsonValue.Create(t))]);
        }

        return new VectorRecord(id, vector, payload);
    }

    private static float Cosine(float[] a, float[] b) => TensorPrimitives.CosineSimilarity(a, b);

    [Fact]
    public async Task Ensure_reports_the_dimension_distance_and_payload_indexes()
    {
        var info = await Store.GetCollectionAsync(Collection, Ct);

        Assert.NotNull(info);
        Assert.Equal(Dimension, info.Dimension);
        Assert.Equal(VectorDistance.Cosine, info.Distance);
        Assert.Equal(0, info.Count);
        Assert.Equal(PayloadIndexKind.Tenant, info.PayloadIndexes[VectorPayloadKeys.AgentId]);
        Assert.Equal(PayloadIndexKind.Keyword, info.PayloadIndexes[VectorPayloadKeys.Type]);
        Assert.Equal(PayloadIndexKind.Integer, info.PayloadIndexes[VectorPayloadKeys.ExpiresAt]);
    }

    [Fact]
    public async Task Ensure_with_another_dimension_is_refused_naming_both_and_changes_nothing()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0))], Ct);

        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.EnsureCollectionAsync(Spec(dimension: 16), Ct));
        var info = await Store.GetCollectionAsync(Collection, Ct);

        Assert.Contains("8", ex.Message, StringComparison.Ordinal);
        Assert.Contains("16", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Dimension, info!.Dimension);
        Assert.Equal(1, info.Count);
    }

    private const string ModelA = "test/fake-hash-model-a";
    private const string ModelB = "test/fake-hash-model-b";

    [Fact]
    public async Task A_new_collection_records_its_embedding_model_and_keeps_it_across_reopening()
    {
        await Store.DeleteCollectionAsync(Collection, Ct);

        var created = await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);
        await ReopenAsync();
        var info = await Store.GetCollectionAsync(Collection, Ct);

        Assert.Equal(ModelA, created.EmbeddingModel);
        Assert.Equal(ModelA, info!.EmbeddingModel);
    }

    [Fact]
    public async Task An_existing_collection_without_a_record_adopts_the_model_it_is_ensured_with()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0))], Ct);
        Assert.Null((await Store.GetCollectionAsync(Collection, Ct))!.EmbeddingModel);

        var adopted = await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);
        var info = await Store.GetCollectionAsync(Collection, Ct);

        Assert.Equal(ModelA, adopted.EmbeddingModel);
        Assert.Equal(ModelA, info!.EmbeddingModel);
        Assert.Equal(1, info.Count);
    }

    [Fact]
    public async Task An_unrecorded_384_dimension_collection_with_points_counts_as_the_old_local_model()
    {
        // Versions before the record embedded locally with all-MiniLM-L6-v2 only: such a collection must not adopt
        // another model silently (its vectors would be compared with another model's), but its own variant is welcome.
        await Store.DeleteCollectionAsync(Collection, Ct);
        await Store.EnsureCollectionAsync(Spec(dimension: 384), Ct);
        var vector = new float[384];
        vector[3] = 1;
        await Store.UpsertAsync(Collection, [Point("old", vector)], Ct);

        var refused = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => Store.EnsureCollectionAsync(Spec(dimension: 384) with { EmbeddingModel = ModelB }, Ct));
        var unrecorded = await Store.GetCollectionAsync(Collection, Ct);
        var variant = await Store.EnsureCollectionAsync(Spec(dimension: 384) with { EmbeddingModel = EmbeddingModelIds.UnrecordedLocalModel + "#int8" }, Ct);

        Assert.Equal(EmbeddingModelIds.UnrecordedLocalModel, refused.RecordedModel);
        Assert.Null(unrecorded!.EmbeddingModel);
        Assert.Equal(EmbeddingModelIds.UnrecordedLocalModel + "#int8", variant.EmbeddingModel);
        await Store.DeleteCollectionAsync(Collection, Ct);
    }

    [Fact]
    public async Task Ensure_with_the_same_model_a_variant_of_it_or_no_model_keeps_the_record()
    {
        await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);

        var same = await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);
        var variant = await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA + "#int8" }, Ct);
        var unchecked_ = await Store.EnsureCollectionAsync(Spec(), Ct);

        Assert.Equal(ModelA, same.EmbeddingModel);
        Assert.Equal(ModelA, variant.EmbeddingModel);
        Assert.Equal(ModelA, unchecked_.EmbeddingModel);
    }

    [Fact]
    public async Task Ensure_with_another_model_is_refused_naming_both_and_the_command_and_changes_nothing()
    {
        await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0))], Ct);

        var ex = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelB }, Ct));
        var otherDimension = await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() =>
            Store.EnsureCollectionAsync(Spec(dimension: 16) with { EmbeddingModel = ModelB }, Ct));
        var info = await Store.GetCollectionAsync(Collection, Ct);

        Assert.Contains(Collection, ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelA, ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelB, ex.Message, StringComparison.Ordinal);
        Assert.Contains("maximus memory reembed", ex.Message, StringComparison.Ordinal);
        Assert.Equal((Collection, ModelA, ModelB), (ex.Collection, ex.RecordedModel, ex.ConfiguredModel));
        Assert.Contains("maximus memory reembed", otherDimension.Message, StringComparison.Ordinal);
        Assert.Equal(ModelA, info!.EmbeddingModel);
        Assert.Equal(Dimension, info.Dimension);
        Assert.Equal(1, info.Count);
    }

    [Fact]
    public async Task Recording_a_model_replaces_the_record_and_the_rule_follows_it()
    {
        await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct);

        var recorded = await Store.RecordEmbeddingModelAsync(Collection, ModelB, Ct);
        await ReopenAsync();
        var accepted = await Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelB }, Ct);

        Assert.Equal(ModelB, recorded.EmbeddingModel);
        Assert.Equal(ModelB, accepted.EmbeddingModel);
        await Assert.ThrowsAsync<EmbeddingModelMismatchException>(() => Store.EnsureCollectionAsync(Spec() with { EmbeddingModel = ModelA }, Ct));
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => Store.RecordEmbeddingModelAsync("missing-" + Collection, ModelA, Ct));
    }

    [Fact]
    public async Task Ensure_is_idempotent_and_adds_missing_payload_indexes()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0), tags: ["x"])], Ct);
        var spec = Spec() with
        {
            PayloadIndexes = new Dictionary<string, PayloadIndexKind>(Spec().PayloadIndexes) { [VectorPayloadKeys.Tags] = PayloadIndexKind.Keyword },
        };

        var info = await Store.EnsureCollectionAsync(spec, Ct);
        var again = await Store.EnsureCollectionAsync(spec, Ct);
        var tagged = await Store.CountAsync(Collection, VectorFilter.Where(VectorCondition.Match(VectorPayloadKeys.Tags, "x")), Ct);

        Assert.Equal(1, info.Count);
        Assert.Equal(PayloadIndexKind.Keyword, info.PayloadIndexes[VectorPayloadKeys.Tags]);
        Assert.Equal(info.PayloadIndexes.Count, again.PayloadIndexes.Count);
        Assert.Equal(1, tagged);
    }

    [Fact]
    public async Task Upsert_with_a_wrong_dimension_is_refused_and_writes_nothing_of_the_batch()
    {
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Store.UpsertAsync(Collection, [Point("good", Axis(0)), Point("bad", new float[Dimension + 1])], Ct));

        Assert.Contains("bad", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Dimension + 1}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Dimension}", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await Store.CountAsync(Collection, null, Ct));
        Assert.Empty(await Store.GetAsync(Collection, ["good"], cancellationToken: Ct));
    }

    [Fact]
    public async Task Upsert_of_a_non_finite_or_zero_vector_is_refused()
    {
        var nan = Axis(0);
        nan[3] = float.NaN;

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Collection, [Point("nan", nan)], Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Collection, [Point("zero", new float[Dimension])], Ct));
        Assert.Equal(0, await Store.CountAsync(Collection, null, Ct));
    }

    [Fact]
    public async Task Upsert_with_a_reserved_payload_key_or_blank_id_is_refused()
    {
        var reserved = Point("r", Axis(0));
        reserved.Payload["_id"] = "spoof";

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Collection, [reserved], Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.UpsertAsync(Collection, [Point(" ", Axis(0))], Ct));
        Assert.Equal(0, await Store.CountAsync(Collection, null, Ct));
    }

    [Fact]
    public async Task Upsert_then_get_round_trips_the_payload_and_the_normalised_vector()
    {
        var payload = new JsonObject
        {
            ["agentId"] = "agent-a",
            ["type"] = "semantic",
            ["text"] = "Ada prefers tea",
            ["createdAt"] = 1_700_000_000_123L,
            ["score"] = 0.75,
            ["pinned"] = true,
            ["tags"] = new JsonArray("food", "preference"),
            ["fact"] = new JsonObject { ["subject"] = "Ada", ["predicate"] = "prefers", ["object"] = "tea" },
        };
        var vector = new float[] { 3, 4, 0, 0, 0, 0, 0, 0 };

        await Store.UpsertAsync(Collection, [new VectorRecord("fact-1", vector, payload)], Ct);
        payload["text"] = "changed after the write";
        var read = Assert.Single(await Store.GetAsync(Collection, ["fact-1"], withVectors: true, Ct));

        Assert.Equal("fact-1", read.Id);
        Assert.Equal("Ada prefers tea", read.Payload["text"]!.GetValue<string>());
        Assert.Equal(1_700_000_000_123L, read.Payload["createdAt"]!.GetValue<long>());
        Assert.Equal(0.75, read.Payload["score"]!.GetValue<double>(), 6);
        Assert.True(read.Payload["pinned"]!.GetValue<bool>());
        Assert.Equal(["food", "preference"], read.Payload["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal("tea", read.Payload["fact"]!["object"]!.GetValue<string>());
        Assert.False(read.Payload.ContainsKey("_id"));
        Assert.Equal(Dimension, read.Vector.Length);
        Assert.Equal(0.6f, read.Vector.Span[0], 4);
        Assert.Equal(0.8f, read.Vector.Span[1], 4);

        // What a read returns is the caller's own: changing it changes nothing stored.
        read.Payload["text"] = "changed after the read";
        read.Payload["fact"]!.AsObject().Remove("object");
        var again = Assert.Single(await Store.GetAsync(Collection, ["fact-1"], cancellationToken: Ct));
        Assert.Equal("Ada prefers tea", again.Payload["text"]!.GetValue<string>());
        Assert.Equal("tea", again.Payload["fact"]!["object"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reads_with_payload_keys_carry_only_those_keys_and_read_them_as_a_whole_payload_does()
    {
        var payload = new JsonObject
        {
            ["agentId"] = "agent-a",
            ["type"] = "episodic",
            ["text"] = "a long text the caller does not want back",
            ["sequence"] = 14,
            ["score"] = 0.75,
            ["asks"] = false,
            ["actor"] = null,
            ["entities"] = new JsonArray("melanie", "lake"),
            ["entry"] = new JsonObject { ["id"] = "t1", ["text"] = "a long text" },
            ["session"] = "10",
        };
        await Store.UpsertAsync(Collection, [new VectorRecord("p1", Axis(0), payload)], Ct);
        string[] keys = ["session", "sequence", "score", "asks", "actor", "entities", "missing", "sequence"];

        var hit = Assert.Single(await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 1) { PayloadKeys = keys }, Ct));
        var page = await Store.ScrollAsync(Collection, new VectorScrollRequest(10) { PayloadKeys = keys }, Ct);
        var whole = Assert.Single(await Store.GetAsync(Collection, ["p1"], cancellationToken: Ct)).Payload;

        foreach (var read in new[] { hit.Payload!, Assert.Single(page.Records).Payload })
        {
            Assert.Equal(["actor", "asks", "entities", "score", "sequence", "session"], read.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal(14, read["sequence"]!.GetValue<int>());
            Assert.Equal(14L, read["sequence"]!.GetValue<long>());
            Assert.Equal(0.75, read["score"]!.GetValue<double>(), 6);
            Assert.False(read["asks"]!.GetValue<bool>());
            Assert.True(read.ContainsKey("actor"));
            Assert.Null(read["actor"]);
            Assert.Equal(["melanie", "lake"], read["entities"]!.AsArray().Select(e => e!.GetValue<string>()));
            Assert.Equal("10", read["session"]!.GetValue<string>());
            Assert.All(read, p => Assert.True(JsonNode.DeepEquals(whole[p.Key], p.Value), p.Key));
        }

        // No keys at all: an empty payload, not the whole one.
        Assert.Empty(Assert.Single(await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 1) { PayloadKeys = [] }, Ct)).Payload!);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 1) { PayloadKeys = ["_id"] }, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ScrollAsync(Collection, new VectorScrollRequest(10) { PayloadKeys = [" "] }, Ct));
    }

    [Fact]
    public async Task Upsert_of_an_existing_id_replaces_vector_and_payload_whole()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0), tags: ["old"])], Ct);

        await Store.UpsertAsync(Collection, [Point("p1", Axis(4), type: "semantic")], Ct);
        var read = Assert.Single(await Store.GetAsync(Collection, ["p1"], withVectors: true, Ct));
        var hit = Assert.Single(await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(4), 1), Ct));

        Assert.Equal(1, await Store.CountAsync(Collection, null, Ct));
        Assert.Equal("semantic", read.Payload["type"]!.GetValue<string>());
        Assert.False(read.Payload.ContainsKey("tags"));
        Assert.Equal(1f, read.Vector.Span[4], 4);
        Assert.Equal("p1", hit.Id);
        Assert.Equal(1f, hit.Score, 3);
        Assert.Equal(0, await Store.CountAsync(Collection, VectorFilter.Where(VectorCondition.Match("tags", "old")), Ct));
    }

    [Fact]
    public async Task Search_orders_hits_by_similarity_with_cosine_scores()
    {
        var points = new Dictionary<string, float[]>
        {
            ["same"] = Axis(0),
            ["close"] = Axis(0, tilt: 0.5f),
            ["far"] = Axis(0, tilt: 2f),
            ["orthogonal"] = Axis(3),
            ["opposite"] = [.. Axis(0).Select(x => -x)],
        };
        await Store.UpsertAsync(Collection, [.. points.Select(p => Point(p.Key, p.Value))], Ct);

        var hits = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 5), Ct);

        Assert.Equal(["same", "close", "far", "orthogonal", "opposite"], hits.Select(h => h.Id));
        foreach (var hit in hits)
        {
            Assert.Equal(Cosine(Axis(0), points[hit.Id]), hit.Score, 3);
            Assert.Equal("agent-a", hit.Payload![VectorPayloadKeys.AgentId]!.GetValue<string>());
            Assert.True(hit.Vector.IsEmpty);
        }
    }

    [Fact]
    public async Task Search_honours_limit_score_threshold_and_payload_and_vector_switches()
    {
        await Store.UpsertAsync(Collection, [.. Enumerable.Range(0, 6).Select(i => Point($"p{i}", Axis(0, tilt: i * 0.5f)))], Ct);

        var two = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 2), Ct);
        var above = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 6) { ScoreThreshold = 0.8f }, Ct);
        var bare = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 1) { WithPayload = false, WithVectors = true }, Ct);

        Assert.Equal(["p0", "p1"], two.Select(h => h.Id));
        Assert.All(above, h => Assert.True(h.Score >= 0.8f));
        Assert.Equal(["p0", "p1"], above.Select(h => h.Id));
        Assert.Null(Assert.Single(bare).Payload);
        Assert.Equal(Dimension, bare[0].Vector.Length);
    }

    [Fact]
    public async Task Search_for_one_agent_never_returns_another_agents_points()
    {
        await Store.UpsertAsync(Collection,
        [
            Point("b-exact", Axis(0), agent: "agent-b"),
            Point("b-close", Axis(0, 0.1f), agent: "agent-b"),
            Point("a-far", Axis(0, 3f), agent: "agent-a"),
            Point("a-farther", Axis(2), agent: "agent-a"),
        ], Ct);

        var a = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a")), Ct);
        var b = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-b")), Ct);
        var nobody = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-c")), Ct);

        Assert.Equal(["a-far", "a-farther"], a.Select(h => h.Id));
        Assert.Equal(["b-exact", "b-close"], b.Select(h => h.Id));
        Assert.Empty(nobody);
    }

    [Fact]
    public async Task Search_filters_by_one_type_or_any_of_several()
    {
        await Store.UpsertAsync(Collection,
        [
            Point("episode", Axis(0), type: "episodic"),
            Point("fact", Axis(0, 0.1f), type: "semantic"),
            Point("skill", Axis(0, 0.2f), type: "procedural"),
            Point("doc", Axis(0, 0.3f), type: "resource"),
        ], Ct);

        var semantic = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a").OfTypes("semantic")), Ct);
        var two = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a").OfTypes("procedural", "episodic")), Ct);
        var none = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a").OfTypes("vault")), Ct);

        Assert.Equal(["fact"], semantic.Select(h => h.Id));
        Assert.Equal(["episode", "skill"], two.Select(h => h.Id));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Not_expired_filter_drops_expired_points_and_keeps_points_without_expiry()
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        await Store.UpsertAsync(Collection,
        [
            Point("expired", Axis(0), expiresAt: now.ToUnixTimeMilliseconds() - 1),
            Point("expires-now", Axis(0, 0.1f), expiresAt: now.ToUnixTimeMilliseconds()),
            Point("later", Axis(0, 0.2f), expiresAt: now.ToUnixTimeMilliseconds() + 60_000),
            Point("forever", Axis(0, 0.3f)),
        ], Ct);

        var live = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a").NotExpired(now)), Ct);
        var expiring = await Store.CountAsync(Collection, VectorFilter.Where(VectorCondition.Range(VectorPayloadKeys.ExpiresAt, gt: 0)), Ct);

        Assert.Equal(["later", "forever"], live.Select(h => h.Id));
        Assert.Equal(3, expiring);
    }

    [Fact]
    public async Task Filters_on_keys_without_an_index_work_too()
    {
        await Store.UpsertAsync(Collection,
        [
            Point("red", Axis(0), tags: ["red", "warm"]),
            Point("blue", Axis(0, 0.1f), tags: ["blue"]),
            Point("plain", Axis(0, 0.2f)),
        ], Ct);

        var red = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.Where(VectorCondition.Match("tags", "red"))), Ct);
        var notRed = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10, VectorFilter.ForAgent("agent-a").AndNot(VectorCondition.MatchAny("tags", ["red", "warm"]))), Ct);
        var byText = await Store.CountAsync(Collection, VectorFilter.Where(VectorCondition.Match(VectorPayloadKeys.Text, "memory blue")), Ct);

        Assert.Equal(["red"], red.Select(h => h.Id));
        Assert.Equal(["blue", "plain"], notRed.Select(h => h.Id));
        Assert.Equal(1, byText);
    }

    [Fact]
    public async Task Search_refuses_a_query_of_the_wrong_dimension_and_a_limit_out_of_range()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0))], Ct);

        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchAsync(Collection, new VectorSearchRequest(new float[3], 5), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 0), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), VectorSearchRequest.MaxLimit + 1), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() =>
            Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 5, VectorFilter.Where(VectorCondition.Match("bad key!", "x"))), Ct));

        Assert.Contains("3", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{Dimension}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_returns_points_in_the_requested_order_and_leaves_out_missing_ids()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0)), Point("p2", Axis(1)), Point("p3", Axis(2))], Ct);

        var read = await Store.GetAsync(Collection, ["p3", "missing", "p1"], cancellationToken: Ct);

        Assert.Equal(["p3", "p1"], read.Select(r => r.Id));
        Assert.All(read, r => Assert.True(r.Vector.IsEmpty));
    }

    [Fact]
    public async Task Ids_of_any_shape_round_trip()
    {
        var ids = new[] { "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "memory:agent-a/episodic/42", "ÜnïcØde id", "7" };
        await Store.UpsertAsync(Collection, [.. ids.Select((id, i) => Point(id, Axis(i)))], Ct);

        var read = await Store.GetAsync(Collection, ids, cancellationToken: Ct);
        var hit = Assert.Single(await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(1), 1), Ct));

        Assert.Equal(ids, read.Select(r => r.Id));
        Assert.Equal(ids[1], hit.Id);
        Assert.Equal(1, await Store.DeleteAsync(Collection, [ids[2]], Ct));
        Assert.Equal(3, await Store.CountAsync(Collection, null, Ct));
    }

    [Fact]
    public async Task Delete_by_ids_counts_existing_points_and_removes_them_from_search()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0)), Point("p2", Axis(0, 0.1f)), Point("p3", Axis(2))], Ct);

        var deleted = await Store.DeleteAsync(Collection, ["p1", "p2", "never-existed"], Ct);
        var hits = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(0), 10), Ct);

        Assert.Equal(2, deleted);
        Assert.Equal(["p3"], hits.Select(h => h.Id));
        Assert.Empty(await Store.GetAsync(Collection, ["p1", "p2"], cancellationToken: Ct));
        Assert.Equal(0, await Store.DeleteAsync(Collection, ["p1"], Ct));
    }

    [Fact]
    public async Task Delete_by_filter_removes_only_matching_points()
    {
        await Store.UpsertAsync(Collection,
        [
            Point("a1", Axis(0), agent: "agent-a"),
            Point("a2", Axis(1), agent: "agent-a", type: "semantic"),
            Point("b1", Axis(0), agent: "agent-b"),
        ], Ct);

        var nothing = await Store.DeleteAsync(Collection, VectorFilter.Empty, Ct);
        var deleted = await Store.DeleteAsync(Collection, VectorFilter.ForAgent("agent-a").OfTypes("episodic"), Ct);
        var left = await Store.ScrollAsync(Collection, new VectorScrollRequest(100), Ct);

        Assert.Equal(0, nothing);
        Assert.Equal(1, deleted);
        Assert.Equal(["a2", "b1"], left.Records.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Count_with_and_without_a_filter()
    {
        await Store.UpsertAsync(Collection,
        [
            Point("a1", Axis(0), agent: "agent-a"),
            Point("a2", Axis(1), agent: "agent-a", type: "semantic"),
            Point("b1", Axis(2), agent: "agent-b"),
        ], Ct);

        Assert.Equal(3, await Store.CountAsync(Collection, null, Ct));
        Assert.Equal(2, await Store.CountAsync(Collection, VectorFilter.ForAgent("agent-a"), Ct));
        Assert.Equal(1, await Store.CountAsync(Collection, VectorFilter.ForAgent("agent-a").OfTypes("semantic"), Ct));
        Assert.Equal(2, await Store.CountAsync(Collection, VectorFilter.Where(VectorCondition.MatchAny(VectorPayloadKeys.AgentId, ["agent-b", "agent-a"])).OfTypes("episodic"), Ct));
        Assert.Equal(3, (await Store.GetCollectionAsync(Collection, Ct))!.Count);
    }

    [Fact]
    public async Task Scroll_visits_every_point_once_across_pages_with_and_without_a_filter()
    {
        await Store.UpsertAsync(Collection, [.. Enumerable.Range(0, 11).Select(i => Point($"p{i:00}", Axis(i), agent: i % 2 == 0 ? "agent-a" : "agent-b"))], Ct);

        var all = await ScrollAllAsync(null, pageSize: 3);
        var even = await ScrollAllAsync(VectorFilter.ForAgent("agent-a"), pageSize: 2);
        var page = await Store.ScrollAsync(Collection, new VectorScrollRequest(5) { WithPayload = false, WithVectors = true }, Ct);

        Assert.Equal(Enumerable.Range(0, 11).Select(i => $"p{i:00}"), all.Order(StringComparer.Ordinal));
        Assert.Equal(Enumerable.Range(0, 11).Where(i => i % 2 == 0).Select(i => $"p{i:00}"), even.Order(StringComparer.Ordinal));
        Assert.Equal(5, page.Records.Count);
        Assert.All(page.Records, r => Assert.Empty(r.Payload));
        Assert.All(page.Records, r => Assert.Equal(Dimension, r.Vector.Length));
        Assert.NotNull(page.NextCursor);
    }

    [Fact]
    public async Task Operations_on_a_missing_collection_throw_not_found()
    {
        const string missing = "no-such-collection";

        Assert.Null(await Store.GetCollectionAsync(missing, Ct));
        Assert.False(await Store.DeleteCollectionAsync(missing, Ct));
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => Store.UpsertAsync(missing, [Point("p", Axis(0))], Ct));
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => Store.SearchAsync(missing, new VectorSearchRequest(Axis(0)), Ct));
        await Assert.ThrowsAsync<VectorCollectionNotFoundException>(() => Store.CountAsync(missing, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.CountAsync("bad name!", null, Ct));
    }

    [Fact]
    public async Task Deleted_collection_is_gone_and_can_be_created_again_with_another_dimension()
    {
        await Store.UpsertAsync(Collection, [Point("p1", Axis(0))], Ct);

        Assert.True(await Store.DeleteCollectionAsync(Collection, Ct));
        Assert.Null(await Store.GetCollectionAsync(Collection, Ct));
        var recreated = await Store.EnsureCollectionAsync(Spec(dimension: 16), Ct);

        Assert.Equal(16, recreated.Dimension);
        Assert.Equal(0, recreated.Count);
    }

    [Fact]
    public async Task Points_survive_closing_and_reopening_the_store()
    {
        await Store.UpsertAsync(Collection, [.. Enumerable.Range(0, 20).Select(i => Point($"p{i}", Axis(i, 0.3f + (i * 0.05f)), agent: i < 10 ? "agent-a" : "agent-b"))], Ct);
        await Store.DeleteAsync(Collection, ["p0"], Ct);

        await ReopenAsync();
        var info = await Store.EnsureCollectionAsync(Spec(), Ct);
        var hits = await Store.SearchAsync(Collection, new VectorSearchRequest(Axis(1, 0.35f), 3, VectorFilter.ForAgent("agent-a")), Ct);

        Assert.Equal(19, info.Count);
        Assert.Equal("p1", hits[0].Id);
        Assert.All(hits, h => Assert.Equal("agent-a", h.Payload![VectorPayloadKeys.AgentId]!.GetValue<string>()));
        Assert.Empty(await Store.GetAsync(Collection, ["p0"], cancellationToken: Ct));
        var read = await Store.GetAsync(Collection, ["p3", "p12"], withVectors: true, Ct);
        Assert.Equal(["p3", "p12"], read.Select(r => r.Id));
        Assert.Equal(["agent-a", "agent-b"], read.Select(r => r.Payload[VectorPayloadKeys.AgentId]!.GetValue<string>()));
        Assert.Equal(3, read[0].Vector.ToArray().Index().MaxBy(x => x.Item).Index);
        var page = await Store.ScrollAsync(Collection, new VectorScrollRequest(10, VectorFilter.ForAgent("agent-b")) { WithVectors = true }, Ct);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"p{i}").Order(), page.Records.Select(r => r.Id).Order());
        Assert.All(page.Records, r => Assert.Equal(Dimension, r.Vector.Length));
        Assert.Null(page.NextCursor);
    }

    [Fact]
    public async Task A_larger_collection_answers_like_exact_search()
    {
        // Enough points for the embedded store's HNSW path when a subclass lowers its threshold; random unit vectors.
        var random = new Random(7);
        var points = Enumerable.Range(0, 300).Select(i =>
        {
            var v = new float[Dimension];
            for (var d = 0; d < Dimension; d++)
            {
                v[d] = (float)((random.NextDouble() * 2) - 1);
            }

            return Point($"p{i}", v, agent: $"agent-{i % 3}", type: i % 5 == 0 ? "semantic" : "episodic");
        }).ToList();
        await Store.UpsertAsync(Collection, points, Ct);
        var query = points[17].Vector.ToArray();

        var hits = await Store.SearchAsync(Collection, new VectorSearchRequest(query, 10, VectorFilter.ForAgent("agent-2").OfTypes("semantic")), Ct);
        var expected = points
            .Where(p => p.Payload["agentId"]!.GetValue<string>() == "agent-2" && p.Payload["type"]!.GetValue<string>() == "semantic")
            .OrderByDescending(p => Cosine(query, p.Vector.ToArray()))
            .Take(10)
            .Select(p => p.Id);

        Assert.Equal(expected, hits.Select(h => h.Id));
    }

    private async Task<List<string>> ScrollAllAsync(VectorFilter? filter, int pageSize)
    {
        var ids = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await Store.ScrollAsync(Collection, new VectorScrollRequest(pageSize, filter, cursor), Ct);
            Assert.True(page.Records.Count <= pageSize);
            ids.AddRange(page.Records.Select(r => r.Id));
            cursor = page.NextCursor;
            if (cursor is null)
            {
                break;
            }
        }

        Assert.Equal(ids.Count, ids.Distinct().Count());
        return ids;
    }
}
