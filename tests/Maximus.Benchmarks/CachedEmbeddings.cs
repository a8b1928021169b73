using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Maximus.Memory.Vectors.Embeddings;

namespace Maximus.Benchmarks;

/// <summary>
/// MiniLM embeddings of many texts for the benchmarks, cached on disk by text hash so that only the first run pays
/// for embedding: records of a 16-byte SHA-256 prefix and 384 floats, appended as they are computed.
/// </summary>
internal static class CachedEmbeddings
{
    /// <summary>The cache the benchmarks share by default (float MiniLM, texts cut at 512 tokens).</summary>
    public static string DefaultPath { get; } = Path.Combine(Path.GetTempPath(), "maximus-bench-cache", "minilm-l6-v2-512.bin");

    private const int Dimension = LocalEmbeddingGenerator.Dimensions;
    private const int RecordBytes = 16 + (Dimension * sizeof(float));

    /// <summary>
    /// The cache file of a model: <paramref name="cachePath"/> for float MiniLM (the file the benchmarks always used),
    /// otherwise beside it with the model's id in the name (vectors of different models never mix).
    /// </summary>
    public static string PathFor(string cachePath, LocalEmbeddingOptions model)
    {
        if (model is { Model: LocalEmbeddingModelKind.MiniLM, Quantization: EmbeddingQuantization.None })
        {
            return cachePath;
        }

        var id = LocalEmbeddingModel.For(model.Model).EffectiveId(model.Quantization);
        // "-v2": int8 vectors of the per-token quantization (Int8Quantizer v2); files of the per-tensor one are not reused.
        var slug = new string([.. id.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')])
            + (model.Quantization == EmbeddingQuantization.Int8 ? "-v2" : "");
        return Path.Combine(Path.GetDirectoryName(cachePath)!, $"{Path.GetFileNameWithoutExtension(cachePath)}-{slug}{Path.GetExtension(cachePath)}");
    }

    /// <summary>The passage vector of every distinct text, how many came from the cache and how many were embedded now.</summary>
    public static (Dictionary<string, float[]> Vectors, int FromCache, int EmbeddedNow) Embed(
        IReadOnlyCollection<string> texts, string? cachePath, int threads, int chunkSize, string what, TextWriter progress, CancellationToken cancellationToken,
        LocalEmbeddingOptions? model = null)
    {
        model ??= new LocalEmbeddingOptions();
        cachePath = cachePath is null ? null : PathFor(cachePath, model);
        var cached = cachePath is null ? [] : Load(cachePath);
        var vectors = new Dictionary<string, float[]>(texts.Count, StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var text in texts)
        {
            if (cached.TryGetValue(Key(text), out var vector))
            {
                vectors[text] = vector;
            }
            else
            {
                missing.Add(text);
            }
        }

        if (missing.Count == 0)
        {
            return (vectors, texts.Count, 0);
        }

        progress.WriteLine($"  embedding {missing.Count} {what} on {threads} threads (cached for later runs) ...");
        using var generator = new LocalEmbeddingGenerator(new LocalEmbeddingOptions { Model = model.Model, IntraOpThreads = 1, MaxBatchSize = 32, Quantization = model.Quantization });
        var gate = new Lock();
        var done = 0;
        var clock = Stopwatch.StartNew();
        Parallel.ForEach(
            missing.Chunk(chunkSize),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancellationToken },
            chunk =>
            {
                var embedded = generator.Embed(chunk, cancellationToken);
                lock (gate)
                {
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        vectors[chunk[i]] = embedded[i];
                    }

                    if (cachePath is not null)
                    {
                        Append(cachePath, chunk.Zip(embedded));
                    }

                    done += chunk.Length;
                    if (done % 10_240 < chunkSize || done == missing.Count)
                    {
                        progress.WriteLine($"    {done}/{missing.Count} ({done / clock.Elapsed.TotalSeconds:0} texts/s)");
                    }
                }
            });
        return (vectors, texts.Count - missing.Count, missing.Count);
    }

    private static UInt128 Key(string text)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return MemoryMarshal.Read<UInt128>(hash);
    }

    private static Dictionary<UInt128, float[]> Load(string path)
    {
        var result = new Dictionary<UInt128, float[]>();
        if (!File.Exists(path))
        {
            return result;
        }

        var bytes = File.ReadAllBytes(path);
        for (var offset = 0; offset + RecordBytes <= bytes.Length; offset += RecordBytes)
        {
            var key = MemoryMarshal.Read<UInt128>(bytes.AsSpan(offset, 16));
            result[key] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset + 16, Dimension * sizeof(float))).ToArray();
        }

        return result;
    }

    private static void Append(string path, IEnumerable<(string Text, float[] Vector)> entries)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write);
        Span<byte> key = stackalloc byte[16];
        foreach (var (text, vector) in entries)
        {
            var k = Key(text);
            MemoryMarshal.Write(key, in k);
            file.Write(key);
            file.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
        }
    }
}
