using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// A local embedding model (<see cref="LocalEmbeddingModel"/>; float, and int8: <see cref="Int8Quantizer"/>) prepared for a fast start: optimised once (ONNX Runtime's extended level, which is the same on every
/// CPU) and saved in ONNX Runtime's own format, which a session uses in place, with its word-embedding table in a file
/// of its own that is mapped, not read (<see cref="WordEmbeddingTable"/>). A process then starts its model in about
/// 80 ms instead of about 300 ms. <c>dotnet publish</c> of the host writes it into the published folder's
/// <c>models/</c>; without it the model loads from the package as before. A key file beside the model names the package
/// model, ONNX Runtime's version and the level it was made with: a model made for anything else is not used.
/// </summary>
public sealed class PreparedModel
{
    /// <summary>The prepared model's file name for a model and a quantization (e.g. <c>all-MiniLM-L6-v2.int8.ort</c>).</summary>
    public static string FileNameFor(LocalEmbeddingModel model, EmbeddingQuantization quantization) =>
        model.FileStem + (quantization == EmbeddingQuantization.Int8 ? ".int8.ort" : ".ort");

    private PreparedModel(string path, byte[] bytes, string? tablePath)
    {
        Path = path;
        Bytes = bytes;
        TablePath = tablePath;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The file's bytes in a pinned array (the session reads its weights from them for its whole life).</summary>
    public byte[] Bytes { get; }

    /// <summary>The model's word-embedding table beside it (<see cref="WordEmbeddingTable"/>), or null when there is none.</summary>
    public string? TablePath { get; }

    /// <summary>The folder a published host keeps its prepared model in.</summary>
    public static string DefaultDirectory => System.IO.Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>The prepared model in <paramref name="directory"/> (default: <see cref="DefaultDirectory"/>) when its key matches this build; otherwise null.</summary>
    public static PreparedModel? Find(string? directory, LocalEmbeddingModel model, EmbeddingQuantization quantization = EmbeddingQuantization.None)
    {
        var folder = directory ?? DefaultDirectory;
        var path = System.IO.Path.Combine(folder, FileNameFor(model, quantization));
        var keyPath = path + ".key";
        try
        {
            if (!File.Exists(path) || !File.Exists(keyPath) || File.ReadAllText(keyPath).Trim() != Key(model, quantization))
            {
                return null;
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var bytes = GC.AllocateUninitializedArray<byte>(checked((int)file.Length), pinned: true);
            file.ReadExactly(bytes);
            var table = System.IO.Path.Combine(folder, WordEmbeddingTable.FileNameFor(model));
            return new PreparedModel(path, bytes, File.Exists(table) ? table : null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable prepared model is no model: the package's model loads instead.
            return null;
        }
    }

    /// <summary>
    /// Writes the prepared models of <paramref name="models"/> (float and int8 of each) and their keys into
    /// <paramref name="directory"/> (default: <see cref="DefaultDirectory"/>) and checks that each embeds like the model it
    /// was made from (cosine ≥ 0.9999 on a few sentences). Returns the models' paths.
    /// </summary>
    public static IReadOnlyList<string> Prepare(string? directory, IEnumerable<LocalEmbeddingModelKind> models) =>
        [.. models.Distinct().SelectMany(kind => new[]
        {
            Prepare(directory, kind, EmbeddingQuantization.None),
            Prepare(directory, kind, EmbeddingQuantization.Int8),
        })];

    /// <summary>Writes the prepared model of one model and quantization, and its key; returns the model's path.</summary>
    public static string Prepare(string? directory, LocalEmbeddingModelKind kind, EmbeddingQuantization quantization)
    {
        var folder = System.IO.Path.GetFullPath(directory ?? DefaultDirectory);
        Directory.CreateDirectory(folder);
        var descriptor = LocalEmbeddingModel.For(kind);
        var fileName = FileNameFor(descriptor, quantization);
        var path = System.IO.Path.Combine(folder, fileName);
        var keyPath = path + ".key";
        var temporary = System.IO.Path.Combine(folder, $".{fileName}.{Environment.ProcessId}.tmp.ort");
        File.Delete(keyPath);
        var model = LocalEmbeddingGenerator.ReadResource(descriptor.Package, descriptor.ModelResource);
        if (quantization == EmbeddingQuantization.Int8)
        {
            model = Int8Quantizer.Quantize(model);
        }

        // The word-embedding table goes beside the model, to be mapped rather than read (the float and the int8 model
        // hold the same table: one file serves both).
        if (WordEmbeddingTable.Detach(model) is { } detached)
        {
            model = detached.Model;
            WordEmbeddingTable.Write(System.IO.Path.Combine(folder, WordEmbeddingTable.FileNameFor(descriptor)), detached.Table);
        }

        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = temporary })
        using (new InferenceSession(model, options))
        {
            // Creating the session writes the optimised model.
        }

        File.Move(temporary, path, overwrite: true);
        File.WriteAllText(keyPath, Key(descriptor, quantization) + "\n");

        string[] probes = ["The agent stacked block a on block b.", "Deliver the package to the airport in city 2.", "warm-up"];
        using (var loaded = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = kind, PreparedModelDirectory = System.IO.Path.Combine(folder, "none"), Quantization = quantization }))
        using (var prepared = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = kind, PreparedModelDirectory = folder, Quantization = quantization }))
        {
            if (prepared.ModelSource != path)
            {
                throw new InvalidOperationException($"The prepared model at {path} was written but does not load.");
            }

            var expected = loaded.Embed(probes);
            var actual = prepared.Embed(probes);
            for (var i = 0; i < probes.Length; i++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(expected[i], actual[i]);
                if (cosine < 0.9999f)
                {
                    File.Delete(keyPath);
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The prepared model {path} embeds '{probes[i]}' differently from the model it was made from (cosine {cosine:F6}); it was not kept."));
                }
            }
        }

        return path;
    }

    /// <summary>What a prepared model was made from: the package's model (name and size), ONNX Runtime's version, the level.</summary>
    internal static string Key(LocalEmbeddingModel descriptor, EmbeddingQuantization quantization)
    {
        using var model = LocalEmbeddingGenerator.OpenResource(descriptor.Package, descriptor.ModelResource);
        var weights = quantization == EmbeddingQuantization.Int8 ? Int8Quantizer.Scheme : "float weights";
        return string.Create(CultureInfo.InvariantCulture,
            $"{descriptor.ModelId}; package {descriptor.Package.GetName().Name} {descriptor.Package.GetName().Version}; model bytes {model.Length}; {weights}; onnxruntime {OrtEnv.Instance().GetVersionString()}; level extended; format ort; word embeddings mapped from their own file");
    }
}
