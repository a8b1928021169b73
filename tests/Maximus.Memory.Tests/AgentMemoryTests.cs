using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

public sealed partial class AgentMemoryTests : IDisposable
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly EmbeddedVectorStore _store = new(new EmbeddedVectorStoreOptions { DataDirectory = Directory.CreateTempSubdirectory("maximus-mirix-").FullName });
    private readonly AgentMemory _memory;

    public AgentMemoryTests()
    {
        var options = new MemoryOptions();
        options.Types[MemoryType.Episodic] = new TypeOptions { Ttl = TimeSpan.FromDays(1), RecencyHalfLife = TimeSpan.FromHours(6), CacheSize = 0 };
        _memory = new AgentMemory(_store, new HashingEmbedder(), Options.Create(options), _clock);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Each_type_keeps_its_own_lifetime_and_expired_entries_are_never_returned_and_purged()
    {
        var episode = await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "the robot stacked the red block"));
        var fact = await Write("a", Fact("red block", "is", "heavy"));

        _clock.Advance(TimeSpan.FromDays(2));
        var hits = await Search("a", "red block");

        Assert.Equal(_clock.Start + TimeSpan.FromDays(1), episode.ExpiresAt);
        Assert.Null(fact.ExpiresAt);
        Assert.DoesNotContain(hits, h => h.Entry.Id == episode.Id);
        Assert.Contains(hits, h => h.Entry.Id == fact.Id);
        Assert.Equal(1, await _memory.PurgeExpiredAsync(Ct));
        await Assert.ThrowsAsync<ProblemException>(() => _memory.GetAsync("a", episode.Id, Ct));
        Assert.Equal(1, await _store.CountAsync(VectorCollections.Memories, cancellationToken: Ct));
    }

    [Fact]
    public async Task Episodic_memories_rank_by_similarity_times_recency()
    {
        var old = await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "delivered the parcel to the hub", OccurredAt: _clock.Start.AddHours(-20)));
        var recent = await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "delivered the parcel to the hub", OccurredAt: _clock.Start.AddHours(-1)));

        var hits = await Search("a", "delivered the parcel", [MemoryType.Episodic]);

        Assert.Equal([recent.Id, old.Id], hits.Select(h => h.Entry.Id));
        Assert.True(hits[0].Score > hits[1].Score);
        Assert.Equal(hits[0].Similarity, hits[1].Similarity, 5);
    }

    [Fact]
    public async Task Procedures_rank_by_similarity_times_success_rate()
    {
        var flaky = await Write("a", new WriteMemoryRequest(MemoryType.Procedural, "build a tower: unstack everything then stack bottom up", Procedure: new Procedure("build a tower", ["unstack", "stack"])));
        var solid = await Write("a", new WriteMemoryRequest(MemoryType.Procedural, "build a tower: unstack everything then stack bottom up", Procedure: new Procedure("build a tower", ["unstack", "stack"])));
        for (var i = 0; i < 4; i++)
        {
            await _memory.RecordOutcomeAsync("a", flaky.Id, succeeded: false, Ct);
            await _memory.RecordOutcomeAsync("a", solid.Id, succeeded: true, Ct);
        }

        var hits = await Search("a", "build a tower", [MemoryType.Procedural]);

        Assert.Equal([solid.Id, flaky.Id], hits.Select(h => h.Entry.Id));
        Assert.Equal(4, hits[0].Entry.Procedure!.Successes);
    }

    [Fact]
    public async Task Ranking_reads_the_payloads_track_record_and_time_and_a_point_written_before_them_ranks_the_same_from_its_entry()
    {
        var procedure = await Write("a", new WriteMemoryRequest(MemoryType.Procedural, "build a tower: unstack everything then stack bottom up", Procedure: new Procedure("build a tower", ["unstack", "stack"])));
        var episode = await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "built a tower of blocks", OccurredAt: _clock.Start.AddHours(-3)));
        for (var i = 0; i < 3; i++)
        {
            await _memory.RecordOutcomeAsync("a", procedure.Id, succeeded: i == 0, Ct);
        }

        var points = await _store.GetAsync(VectorCollections.Memories, [$"a:{procedure.Id}", $"a:{episode.Id}"], withVectors: true, cancellationToken: Ct);
        Assert.Equal(1, (int)points[0].Payload[AgentMemory.SuccessesKey]!);
        Assert.Equal(2, (int)points[0].Payload[AgentMemory.FailuresKey]!);
        var fresh = await Search("a", "build a tower", [MemoryType.Procedural, MemoryType.Episodic]);

        // The same points as an earlier version wrote them: no top-level track record or time beside the entry.
        foreach (var point in points)
        {
            point.Payload.Remove(AgentMemory.SuccessesKey);
            point.Payload.Remove(AgentMemory.FailuresKey);
            point.Payload.Remove(AgentMemory.OccurredAtKey);
        }

        await _store.UpsertAsync(VectorCollections.Memories, points, Ct);
        var legacy = await Search("a", "build a tower", [MemoryType.Procedural, MemoryType.Episodic], k: 6); // another k: not the cached answer

        var rate = new Procedure("", [], 1, 2).SuccessRate;
        var byProcedure = fresh.Single(h => h.Entry.Id == procedure.Id);
        Assert.Equal(byProcedure.Similarity * rate, byProcedure.Score, 9);
        Assert.Equal(fresh.Select(h => (h.Entry.Id, Math.Round(h.Score, 9))), legacy.Select(h => (h.Entry.Id, Math.Round(h.Score, 9))));
    }

    [Theory]
    [InlineData("I went to the lake", "What did you do on Sunday?")]
    [InlineData("two lines\nin one turn", "a question\nover two lines")]
    [InlineData("no context here", null)]
    public void A_turns_own_text_is_read_back_from_its_keyword_text(string text, string? context)
    {
        var payload = new System.Text.Json.Nodes.JsonObject { [VectorPayloadKeys.Text] = AgentMemory.KeywordText(text, context) };
        if (context is not null)
        {
            payload[AgentMemory.ContextKey] = context;
        }

        Assert.Equal(text, AgentMemory.OwnText(payload));
        payload[VectorPayloadKeys.Text] = "not in the keyword form";
        Assert.Equal(context is null ? "not in the keyword form" : null, AgentMemory.OwnText(payload));
    }

    [Fact]
    public async Task An_invalidated_fact_is_gone_and_graph_expansion_reaches_two_hops()
    {
        var knows = await Write("a", Fact("alice", "knows", "bob"));
        var works = await Write("a", Fact("bob", "works at", "acme"));
        var located = await Write("a", Fact("acme", "is located in", "paris"));
        var stale = await Write("a", Fact("alice", "lives in", "rome"));

        await _memory.InvalidateFactAsync("a", stale.Id, Ct);
        var hits = await Search("a", "alice knows", [MemoryType.Semantic], k: 10);

        Assert.DoesNotContain(hits, h => h.Entry.Id == stale.Id);
        Assert.Equal(knows.Id, hits[0].Entry.Id);
        Assert.Contains(hits, h => h.Entry.Id == works.Id);
        Assert.Contains(hits, h => h.Entry.Id == located.Id && h.Via!.StartsWith("2 hop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Agents_never_see_each_others_memories()
    {
        var mine = await Write("alice", new WriteMemoryRequest(MemoryType.Resource, "the launch manual, chapter one", Id: "doc-1", Resource: new ResourceChunk("manual.pdf")));
        await Write("bob", new WriteMemoryRequest(MemoryType.Resource, "the launch manual, chapter one", Id: "doc-1", Resource: new ResourceChunk("manual.pdf")));

        var alice = await Search("alice", "launch manual");
        var carol = await Search("carol", "launch manual");

        Assert.Equal("alice", Assert.Single(alice).Entry.AgentId);
        Assert.Equal(mine.Id, alice[0].Entry.Id);
        Assert.Empty(carol);
        await Assert.ThrowsAsync<ProblemException>(() => _memory.GetAsync("carol", "doc-1", Ct));
    }

    [Fact]
    public async Task Active_retrieval_merges_types_and_reports_its_topic()
    {
        await Write("a", new WriteMemoryRequest(MemoryType.Episodic, "we shipped the order to paris yesterday"));
        await Write("a", Fact("order", "ships to", "paris"));

        var response = await _memory.SearchAsync("a", new SearchMemoryRequest("where did we ship the order?", Active: true), Ct);

        Assert.Equal("ship order", response.Topic);
        Assert.Equal([MemoryType.Episodic, MemoryType.Semantic], response.Hits.Select(h => h.Entry.Type).Distinct().Order());
    }

    [Theory]
    [InlineData("vector")]
    [InlineData("type")]
    [InlineData("text")]
    [InlineData("fact")]
    [InlineData("procedure.failures")]
    public async Task Bad_writes_are_refused_naming_the_field_and_nothing_is_written(string field)
    {
        var request = field switch
        {
            "vector" => new WriteMemoryRequest(MemoryType.Episodic, "x", Vector: new float[7]),
            // Found by the HTTP fuzz test: 0 successes and -2 failures made the success rate 1/0, which no JSON can hold.
            "procedure.failures" => new WriteMemoryRequest(MemoryType.Procedural, "stack", Procedure: new Procedure("stack", ["stack"], 0, -2)),
            "type" => new WriteMemoryRequest(MemoryType.Vault, "a secret"),
            "text" => new WriteMemoryRequest(MemoryType.Episodic, "  "),
            _ => new WriteMemoryRequest(MemoryType.Semantic, "a fact without parts"),
        };
        await _memory.EnsureCollectionAsync(Ct);

        var refused = await Assert.ThrowsAsync<ProblemException>(() => _memory.WriteAsync("a", request, Ct));

        Assert.Equal(400, refused.Status);
        Assert.Equal(field, refused.Field);
        Assert.Equal(0, await _store.CountAsync(VectorCollections.Memories, cancellationToken: Ct));
    }

    [Fact]
    public void A_success_rate_of_counts_near_the_int_limit_is_a_finite_number()
    {
        var rate = new Procedure("stack", ["stack"], int.MaxValue, int.MaxValue).SuccessRate;

        Assert.True(double.IsFinite(rate));
        Assert.Equal(0.5, rate, 6);
    }

    [Theory]
    [InlineData("", 10, "query")]
    [InlineData("x", 0, "k")]
    [InlineData("x", 101, "k")]
    public async Task Bad_searches_are_refused_naming_the_field(string query, int k, string field)
    {
        var refused = await Assert.ThrowsAsync<ProblemException>(() => _memory.SearchAsync("a", new SearchMemoryRequest(query, K: k), Ct));

        Assert.Equal(field, refused.Field);
    }

    private Task<MemoryEntry> Write(string agent, WriteMemoryRequest request) => _memory.WriteAsync(agent, request, Ct);

    private async Task<IReadOnlyList<MemoryHit>> Search(string agent, string query, IReadOnlyList<MemoryType>? types = null, int k = 5) =>
        (await _memory.SearchAsync(agent, new SearchMemoryRequest(query, types, k), Ct)).Hits;

    private static WriteMemoryRequest Fact(string s, string p, string o) =>
        new(MemoryType.Semantic, $"{s} {p} {o}", Fact: new SemanticFact(s, p, o));

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public DateTimeOffset Start { get; } = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>A deterministic bag-of-words embedder for rule tests: similarity is word overlap.</summary>
    private sealed class HashingEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        private const int Dimension = 64;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        /// <summary>A stable hash (string.GetHashCode is randomised per process).</summary>
        private static uint Fnv1a(string word)
        {
            var hash = 2166136261u;
            foreach (var c in word)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return hash;
        }

        private static float[] Embed(string text)
        {
            var vector = new float[Dimension];
            foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.', ':', '?'], StringSplitOptions.RemoveEmptyEntries))
            {
                vector[(int)(Fnv1a(word) % Dimension)] += 1;
            }

            vector[0] += 0.01f;
            var norm = MathF.Sqrt(vector.Sum(x => x * x));
            return vector.Select(x => x / norm).ToArray();
        }
    }
}
