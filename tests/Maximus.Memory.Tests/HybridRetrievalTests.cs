using Maximus.Contracts.Memory;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

public sealed class HybridRetrievalTests : IDisposable
{
    private const string Collection = "memories";
    private readonly string _directory = Directory.CreateTempSubdirectory("maximus-hybrid-").FullName;
    private readonly LexicalIndex _lexical;

    public HybridRetrievalTests() => _lexical = new LexicalIndex(Path.Combine(_directory, "lexical.db"));

    [Theory]
    [InlineData(FusionMethod.ReciprocalRank)]
    [InlineData(FusionMethod.NormalisedScore)]
    public void Fusion_ranks_an_entry_found_by_both_lists_first(FusionMethod method)
    {
        var options = new HybridRetrievalOptions { Fusion = method, LexicalWeight = 1, DenseWeight = 1 };
        var fused = HybridRetriever.Fuse(
            [("both", 9.0), ("lexical-only", 8.0), ("tail", 1.0)],
            [("dense-only", 0.9), ("both", 0.8), ("tail2", 0.1)],
            options);
        var order = fused.OrderByDescending(p => p.Value).Select(p => p.Key).ToList();
        Assert.Equal("both", order[0]);
        Assert.Equal(5, order.Count);
        Assert.True(fused["lexical-only"] > fused["tail"]);
        Assert.True(fused["dense-only"] > fused["tail2"]);
    }

    [Fact]
    public void Fusion_weights_shift_the_order_between_lists()
    {
        var lexicalFirst = HybridRetriever.Fuse([("a", 2.0), ("x", 1.0)], [("b", 0.9), ("y", 0.1)], new HybridRetrievalOptions { LexicalWeight = 1, DenseWeight = 0.5 });
        var denseFirst = HybridRetriever.Fuse([("a", 2.0), ("x", 1.0)], [("b", 0.9), ("y", 0.1)], new HybridRetrievalOptions { LexicalWeight = 0.5, DenseWeight = 1 });
        Assert.True(lexicalFirst["a"] > lexicalFirst["b"]);
        Assert.True(denseFirst["b"] > denseFirst["a"]);
    }

    [Theory]
    [InlineData("\"unbalanced quote")]
    [InlineData("NEAR(piano guitar) AND NOT drums OR")]
    [InlineData("text: piano* ^guitar -drums (\"x\" + y)")]
    [InlineData("'; DROP TABLE lex_memories_doc; --")]
    [InlineData("Melanie's piano?")]
    public void User_text_with_quotes_and_operators_is_searched_as_plain_words(string query)
    {
        _lexical.Upsert(Collection, "agent-a", [new LexicalDocument("t1", "Melanie: I play the piano and the guitar", "1", 1)]);
        var match = LexicalIndex.BuildMatchQuery(query);
        Assert.All(match.Split(" OR "), term => Assert.Matches("^\"[^\"]+\"$", term));
        var hits = _lexical.Search(Collection, "agent-a", query, 10);
        Assert.True(hits.Count <= 1);
        Assert.Single(_lexical.Search(Collection, "agent-a", "piano", 10));
    }

    [Fact]
    public void Text_without_words_matches_nothing()
    {
        _lexical.Upsert(Collection, "agent-a", [new LexicalDocument("t1", "anything at all")]);
        Assert.Equal(string.Empty, LexicalIndex.BuildMatchQuery("\"\" * ( ) ^ -"));
        Assert.Empty(_lexical.Search(Collection, "agent-a", "\"\" * ( ) ^ -", 10));
    }

    [Fact]
    public void Lexical_index_keeps_agents_apart()
    {
        _lexical.Upsert(Collection, "agent-a", [new LexicalDocument("same-id", "secret launch codes for the rocket", "1", 1)]);
        _lexical.Upsert(Collection, "agent-b", [new LexicalDocument("same-id", "grocery list: apples and pears", "1", 1)]);

        Assert.Single(_lexical.Search(Collection, "agent-a", "rocket launch", 10));
        Assert.Empty(_lexical.Search(Collection, "agent-b", "rocket launch", 10));
        Assert.Empty(_lexical.Search(Collection, "agent-c", "rocket launch", 10));
        Assert.Empty(_lexical.Place(Collection, "agent-c", ["same-id"]));
        Assert.Empty(_lexical.At(Collection, "agent-c", [("1", 1)]));

        Assert.Equal(1, _lexical.Delete(Collection, "agent-b", ["same-id"]));
        Assert.Single(_lexical.Search(Collection, "agent-a", "rocket", 10));
    }

    [Fact]
    public void Upsert_replaces_a_document_by_id()
    {
        _lexical.Upsert(Collection, "agent-a", [new LexicalDocument("t1", "the old text about violins")]);
        _lexical.Upsert(Collection, "agent-a", [new LexicalDocument("t1", "the new text about trumpets")]);
        Assert.Empty(_lexical.Search(Collection, "agent-a", "violins", 10));
        Assert.Single(_lexical.Search(Collection, "agent-a", "trumpets", 10));
    }

    [Fact]
    public async Task Hybrid_search_fuses_lists_adds_neighbours_and_keeps_agents_apart()
    {
        using var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = _directory });
        var memoryOptions = Options.Create(new MemoryOptions());
        var embedder = new BagOfWordsEmbedder();
        var memory = new AgentMemory(store, embedder, memoryOptions, TimeProvider.System);
        var retriever = new HybridRetriever(memory, store, _lexical, embedder, memoryOptions, Options.Create(new HybridRetrievalOptions()));
        string[] turns = ["Caroline: I went to a support group yesterday", "Melanie: How did it go?", "Caroline: It was powerful, the stories moved me", "Melanie: I painted a lake last week"];
        await retriever.IngestAsync("agent-a", [.. turns.Select((t, i) => new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, t, $"D1_{i + 1}"), "1", i + 1))], CancellationToken.None);
        await retriever.IngestAsync("agent-b", [new HybridDocument(new WriteMemoryRequest(MemoryType.Episodic, "Bob: support group on Monday", "D1_1"), "1", 1)], CancellationToken.None);

        var hits = await retriever.SearchAsync("agent-a", "When did Caroline go to the support group?", 3, CancellationToken.None);
        Assert.Equal("D1_1", hits[0].Id);
        Assert.NotNull(hits[0].LexicalRank);
        Assert.Contains(hits, h => h.Id == "D1_2");

        var other = await retriever.SearchAsync("agent-b", "support group", 10, CancellationToken.None);
        Assert.Equal(new[] { "D1_1" }, other.Select(h => h.Id).ToArray());
        Assert.True(HybridRetriever.IsWhenQuestion("When did she paint?"));
        Assert.False(HybridRetriever.IsWhenQuestion("What did she paint?"));
    }

    public void Dispose()
    {
        _lexical.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private sealed class BagOfWordsEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        private const int Dimension = 32;

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private static float[] Embed(string text)
        {
            var vector = new float[Dimension];
            vector[0] = 0.01f;
            foreach (var word in text.ToLowerInvariant().Split([' ', ',', '.', ':', '?'], StringSplitOptions.RemoveEmptyEntries))
            {
                var hash = 2166136261u;
                foreach (var c in word)
                {
                    hash = (hash ^ c) * 16777619u;
                }

                vector[(int)(hash % Dimension)] += 1;
            }

            return vector;
        }
    }
}
