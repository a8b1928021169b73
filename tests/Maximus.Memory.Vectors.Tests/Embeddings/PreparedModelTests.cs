using System.Numerics.Tensors;
using Maximus.Memory.Vectors.Embeddings;

namespace Maximus.Memory.Vectors.Tests.Embeddings;

public sealed class PreparedModelTests
{
    private const string FloatFile = "all-MiniLM-L6-v2.ort";
    private const string Int8File = "all-MiniLM-L6-v2.int8.ort";
    private const string TableFile = "all-MiniLM-L6-v2.word-embeddings.f32";

    private static readonly string[] Sentences =
    [
        "The agent deployed the billing service to staging at 14:05, and the smoke tests passed.",
        "Deliver the package from the depot to the airport in city 2.",
        "a",
    ];

    [Fact]
    public void A_prepared_model_loads_from_its_folder_and_embeds_like_the_packages_model()
    {
        using var folder = new TempDirectory();
        var path = PreparedModel.Prepare(folder.Path, LocalEmbeddingModelKind.MiniLM, EmbeddingQuantization.None);

        Assert.Equal(Path.Combine(folder.Path, FloatFile), path);
        Assert.True(File.Exists(Path.Combine(folder.Path, FloatFile + ".key")));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp.ort"));
        using var prepared = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, PreparedModelDirectory = folder.Path });
        using var package = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, PreparedModelDirectory = Path.Combine(folder.Path, "absent") });
        Assert.Equal(path, prepared.ModelSource);
        Assert.StartsWith("package resource", package.ModelSource, StringComparison.Ordinal);
        var expected = package.Embed(Sentences, TestContext.Current.CancellationToken);
        var actual = prepared.Embed(Sentences, TestContext.Current.CancellationToken);
        for (var i = 0; i < Sentences.Length; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(expected[i], actual[i]) >= 0.9999f, Sentences[i]);
        }

        // A model made for another build (its key differs) is not used.
        File.WriteAllText(Path.Combine(folder.Path, FloatFile + ".key"), "another model; onnxruntime 0.0.0\n");
        using var stale = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, PreparedModelDirectory = folder.Path });
        Assert.StartsWith("package resource", stale.ModelSource, StringComparison.Ordinal);
    }

    [Fact]
    public void A_prepared_model_maps_its_word_embedding_table_from_a_file_shared_by_the_float_and_the_int8_model()
    {
        using var folder = new TempDirectory();
        var paths = PreparedModel.Prepare(folder.Path, [LocalEmbeddingModelKind.MiniLM]);
        var table = Path.Combine(folder.Path, TableFile);

        // 30,522 words × 384 floats, held once beside both models and in neither.
        Assert.Equal(30_522L * 384 * sizeof(float), new FileInfo(table).Length);
        var rows = File.ReadAllBytes(table).AsSpan(1 << 20, 4096).ToArray();
        Assert.All(paths, p => Assert.True(File.ReadAllBytes(p).AsSpan().IndexOf(rows) < 0, $"{p} still holds the table"));
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));

        var ct = TestContext.Current.CancellationToken;
        using var package = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = Path.Combine(folder.Path, "absent") });
        using var prepared = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = folder.Path });
        var expected = package.Embed(Sentences, ct);
        var actual = prepared.Embed(Sentences, ct);
        Assert.Equal(paths[1], prepared.ModelSource);
        for (var i = 0; i < Sentences.Length; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(expected[i], actual[i]) >= 0.99999f, Sentences[i]);
        }

        // A table cut short, or none, costs the fast start: the package's model loads and says why.
        File.WriteAllBytes(table, new byte[4096]);
        using var cut = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = folder.Path });
        Assert.StartsWith("package resource", cut.ModelSource, StringComparison.Ordinal);
        Assert.Contains("4096 bytes", cut.ModelSource, StringComparison.Ordinal);
        File.Delete(table);
        using var none = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = folder.Path });
        Assert.Contains(TableFile + ", input 'embeddings.word_embeddings.weight') is missing", none.ModelSource, StringComparison.Ordinal);
        Assert.True(TensorPrimitives.CosineSimilarity(expected[0], none.Embed(Sentences[0], ct)) >= 0.99999f);
    }

    [Fact]
    public void The_generator_reports_its_model_before_the_model_loads_and_loads_it_at_the_first_embedding()
    {
        using var generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8 });

        var metadata = generator.GetService(typeof(Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)) as Microsoft.Extensions.AI.EmbeddingGeneratorMetadata;
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2#int8", metadata?.DefaultModelId);
        Assert.Equal(LocalEmbeddingGenerator.Dimensions, metadata?.DefaultModelDimensions);
        Assert.False(generator.IsLoaded);

        Assert.Equal(LocalEmbeddingGenerator.Dimensions, generator.Embed("first", TestContext.Current.CancellationToken).Length);
        Assert.True(generator.IsLoaded);
    }

    [Fact]
    public async Task A_generator_disposed_while_it_embeds_finishes_the_run_and_then_refuses_more()
    {
        // A host that stops right after it starts disposes the generator while the warm-up may still be running: the
        // session must outlive that run (freeing it under a run crashed the process).
        var generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8 });
        var texts = Enumerable.Range(0, 1500).Select(i => $"memory {i}: the agent moved block {i % 7} onto block {i % 5} in the warehouse").ToArray();
        var running = Task.Run(() => generator.Embed(texts, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        while (!generator.IsLoaded && !running.IsCompleted)
        {
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        generator.Dispose();
        var vectors = await running;

        Assert.Equal(texts.Length, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(1f, TensorPrimitives.Norm(v), 3));
        Assert.Throws<ObjectDisposedException>(() => generator.Embed("after", TestContext.Current.CancellationToken));
        generator.Dispose();
    }

    [Fact]
    public void A_damaged_prepared_model_costs_the_fast_start_not_the_service()
    {
        using var folder = new TempDirectory();
        PreparedModel.Prepare(folder.Path, LocalEmbeddingModelKind.MiniLM, EmbeddingQuantization.None);
        var path = Path.Combine(folder.Path, FloatFile);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 3).ToArray());

        using var generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, PreparedModelDirectory = folder.Path });

        Assert.StartsWith("package resource", generator.ModelSource, StringComparison.Ordinal);
        Assert.Contains(path, generator.ModelSource, StringComparison.Ordinal);
        Assert.Equal(LocalEmbeddingGenerator.Dimensions, generator.Embed("still embeds", TestContext.Current.CancellationToken).Length);
    }

    [Fact]
    public void The_int8_model_embeds_close_to_the_float_model_and_prepares_like_it()
    {
        using var folder = new TempDirectory();
        var paths = PreparedModel.Prepare(folder.Path, [LocalEmbeddingModelKind.MiniLM]);

        Assert.Equal([Path.Combine(folder.Path, FloatFile), Path.Combine(folder.Path, Int8File)], paths);
        using var atLoad = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = Path.Combine(folder.Path, "absent") });
        using var prepared = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = folder.Path });
        using var floats = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.None, PreparedModelDirectory = folder.Path });
        Assert.Equal(paths[1], prepared.ModelSource);
        Assert.Equal(paths[0], floats.ModelSource);
        Assert.Contains("quantized to int8 at load", atLoad.ModelSource, StringComparison.Ordinal);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2#int8", prepared.EffectiveModelId);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", floats.EffectiveModelId);

        var ct = TestContext.Current.CancellationToken;
        var reference = floats.Embed(Sentences, ct);
        var quantizedAtLoad = atLoad.Embed(Sentences, ct);
        var quantizedPrepared = prepared.Embed(Sentences, ct);
        for (var i = 0; i < Sentences.Length; i++)
        {
            // The two int8 paths agree with each other (the quantization is deterministic) and stay close to the floats.
            Assert.True(TensorPrimitives.CosineSimilarity(quantizedAtLoad[i], quantizedPrepared[i]) >= 0.9999f, Sentences[i]);
            var cosine = TensorPrimitives.CosineSimilarity(reference[i], quantizedPrepared[i]);
            Assert.InRange(cosine, 0.97f, 0.99999f);
        }

        // Each prepared model carries its own key: the float key does not admit the int8 file and the reverse.
        File.Copy(paths[0] + ".key", paths[1] + ".key", overwrite: true);
        using var mismatched = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = LocalEmbeddingModelKind.MiniLM, Quantization = EmbeddingQuantization.Int8, PreparedModelDirectory = folder.Path });
        Assert.Contains("quantized to int8 at load", mismatched.ModelSource, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LocalEmbeddingModelKind.MiniLM)]
    [InlineData(LocalEmbeddingModelKind.ArcticXs)]
    public void An_int8_vector_does_not_depend_on_the_texts_embedded_with_it(LocalEmbeddingModelKind kind)
    {
        using var int8 = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = kind, Quantization = EmbeddingQuantization.Int8 });
        using var full = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = kind });
        const string query = "where is package 42?";
        string[] mates = [.. Sentences, "a much longer text about the weather, the roads, the trucks, the warehouse and the inventory", "ok"];

        var alone = int8.Embed(query, TestContext.Current.CancellationToken);
        var beside = int8.Embed([query, .. mates], TestContext.Current.CancellationToken);
        var reversed = int8.Embed([.. mates.Reverse(), query], TestContext.Current.CancellationToken);

        // One run holds them all (MaxBatchSize 32): the query's rows are quantized on their own, whatever surrounds them.
        Assert.True(TensorPrimitives.CosineSimilarity(alone, beside[0]) >= 0.99999f, $"cosine {TensorPrimitives.CosineSimilarity(alone, beside[0]):F6}");
        Assert.True(TensorPrimitives.CosineSimilarity(alone, reversed[^1]) >= 0.99999f, $"cosine {TensorPrimitives.CosineSimilarity(alone, reversed[^1]):F6}");
        for (var i = 0; i < mates.Length; i++)
        {
            var one = int8.Embed(mates[i], TestContext.Current.CancellationToken);
            Assert.True(TensorPrimitives.CosineSimilarity(one, beside[i + 1]) >= 0.99999f, $"text {i}: cosine {TensorPrimitives.CosineSimilarity(one, beside[i + 1]):F6}");
            var reference = full.Embed(mates[i], TestContext.Current.CancellationToken);
            Assert.True(TensorPrimitives.CosineSimilarity(one, reference) >= 0.98f, $"text {i}: cosine to the float model {TensorPrimitives.CosineSimilarity(one, reference):F4}");
        }
    }
}
