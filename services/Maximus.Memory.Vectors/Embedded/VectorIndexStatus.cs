using System.Text.Json.Serialization;

namespace Maximus.Memory.Vectors.Embedded;

[JsonConverter(typeof(JsonStringEnumConverter<VectorIndexState>))]
public enum VectorIndexState
{
    /// <summary>No HNSW index: the collection is below the threshold, searches are exact.</summary>
    None,

    /// <summary>An index is being built (or rebuilt); searches are exact until it is ready.</summary>
    Building,

    Ready,
}

/// <summary>
/// Diagnostics of one embedded collection's HNSW indexes (one per tenant partition with at least the threshold of
/// points, or one for the whole collection when it has no tenant key).
/// </summary>
public sealed record VectorIndexStatus(
    string Collection,
    int Points,
    VectorIndexState State,
    int IndexedPoints,
    int Indexes,
    bool LoadedFromDisk,
    bool SavedToDisk,
    double? LastBuildSeconds,
    long IndexMemoryBytes,
    IReadOnlyList<string> IndexFiles);
