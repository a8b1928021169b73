namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>Settings of the local embedding generator (section <c>Maximus:Memory:Embeddings</c>).</summary>
public sealed class LocalEmbeddingOptions
{
    public const string Section = "Maximus:Memory:Embeddings";

    /// <summary>
    /// The model (<see cref="LocalEmbeddingModelKind"/>). A memory collection records the model its vectors come from; a
    /// host configured with another refuses to start on it and names <c>maximus memory reembed</c>, which re-embeds.
    /// </summary>
    public LocalEmbeddingModelKind Model { get; set; } = LocalEmbeddingModelKind.MiniLM;

    /// <summary>
    /// ONNX Runtime intra-op threads of one inference. 1 is the default: a short query embeds in about 3 ms on one core,
    /// concurrent callers each get a core, and the tail stays flat when the machine is busy (measured on 2 cores:
    /// p99 3.8 ms with 1 thread against 31 ms with 2 under load, because 2 threads wait for each other at every operator).
    /// More threads only help long texts on an otherwise idle machine.
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// Texts per ONNX run; a larger call is split, texts of similar length go together (less padding). A text's vector
    /// does not depend on its batch-mates, float or int8 (the int8 model quantizes per token: <see cref="Int8Quantizer"/>).
    /// </summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>Tokens per text including [CLS] and [SEP]; longer texts are cut. 512 matches the package's own encoder.</summary>
    public int MaxTokens { get; set; } = 512;

    /// <summary>
    /// The folder of a prepared model (<see cref="PreparedModel"/>); null: <c>models/</c> beside the application, where
    /// <c>dotnet publish</c> of the host puts it. Without a matching prepared model the package's model loads.
    /// </summary>
    public string? PreparedModelDirectory { get; set; }

    /// <summary>
    /// <see cref="EmbeddingQuantization.Int8"/> (default): the model with int8 weights and activations quantized per token
    /// (<see cref="Int8Quantizer"/>); <see cref="EmbeddingQuantization.None"/>: the package's float weights. Measured on
    /// these 2 cores (bench memory, 100k memories, the same busy machine for both): a query embeds in 1.9 ms against
    /// 5.1 ms (p50), texts in batches ~2.5× faster, the store's search with a given vector p99 1.7 ms against 2.4 ms,
    /// recall@10 of the index against exact search 0.992 against 0.991; vectors at cosine ≥ 0.99 to the float ones. The
    /// two are variants of one model (<c>#int8</c> in its id): a collection embedded with one is searched with the other
    /// without re-embedding.
    /// </summary>
    public EmbeddingQuantization Quantization { get; set; } = EmbeddingQuantization.Int8;
}

/// <summary>How the local model's weights are held.</summary>
public enum EmbeddingQuantization
{
    /// <summary>Float weights, as the package ships them.</summary>
    None,

    /// <summary>Int8 weights, activations quantized per token at run time (<see cref="Int8Quantizer"/>).</summary>
    Int8,
}
