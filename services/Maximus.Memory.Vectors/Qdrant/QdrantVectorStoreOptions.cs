namespace Maximus.Memory.Vectors.Qdrant;

/// <summary>
/// Settings of the Qdrant adapter (section <c>Maximus:Memory:Qdrant</c>). When <see cref="Url"/> is set (or the
/// environment variable <c>QDRANT_URL</c>), <c>AddVectorStore</c> selects Qdrant instead of the embedded store.
/// </summary>
public sealed class QdrantVectorStoreOptions
{
    public const string Section = "Maximus:Memory:Qdrant";

    /// <summary>The gRPC endpoint, e.g. <c>http://localhost:6334</c> (Qdrant.Client speaks gRPC only).</summary>
    public string? Url { get; set; }

    public string? ApiKey { get; set; }

    /// <summary>Deadline of every call.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>HNSW M of new collections.</summary>
    public int HnswM { get; set; } = 16;

    /// <summary>HNSW ef_construct of new collections.</summary>
    public int HnswEfConstruct { get; set; } = 128;

    /// <summary>HNSW payload_m: extra per-tenant links built for the tenant payload index (null: the server's default).</summary>
    public int? HnswPayloadM { get; set; } = 16;

    /// <summary>ef at search time.</summary>
    public int SearchHnswEf { get; set; } = 128;

    /// <summary>Scalar int8 quantization of new collections (4× less vector memory; see <see cref="Rescore"/>).</summary>
    public bool Int8Quantization { get; set; } = true;

    /// <summary>Quantile of the int8 range (outliers beyond it are clipped).</summary>
    public float QuantizationQuantile { get; set; } = 0.99f;

    /// <summary>Re-score the quantized candidates with the original vectors.</summary>
    public bool Rescore { get; set; } = true;

    /// <summary>Candidates fetched with the quantized vectors = limit × this, before re-scoring.</summary>
    public double Oversampling { get; set; } = 2.0;

    /// <summary>Keep payloads on disk (memory-mapped) instead of in RAM.</summary>
    public bool OnDiskPayload { get; set; }

    /// <summary>BM25 k1 (term-frequency saturation) of the keyword sparse vector.</summary>
    public double Bm25K1 { get; set; } = 1.2;

    /// <summary>BM25 b (length normalisation) of the keyword sparse vector.</summary>
    public double Bm25B { get; set; } = 0.75;

    /// <summary>
    /// The document length (in terms) that BM25 normalises against. Qdrant computes IDF but not the average length, so it
    /// is fixed here; 20 suits conversation turns and short memories (the embedded store uses the collection's own).
    /// </summary>
    public double Bm25AverageLength { get; set; } = 20;

    /// <summary>Points per upsert request.</summary>
    public int UpsertBatchSize { get; set; } = 256;
}
