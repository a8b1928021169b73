using System.Text.Json.Nodes;

namespace Maximus.Migration.Chroma;

/// <summary>A Chroma collection as a source sees it; <see cref="Dimension"/> is null when Chroma never recorded one.</summary>
public sealed record ChromaCollectionInfo(string Id, string Name, int? Dimension, long Count, string Database = "default_database", string Tenant = "default_tenant");

/// <summary>One Chroma record: id, document (null when none), metadata (scalars and arrays), embedding, and when it was written if known.</summary>
public sealed record ChromaRecord(string Id, string? Document, JsonObject Metadata, float[] Embedding, DateTimeOffset? CreatedAt = null);

/// <summary>Reads Chroma collections: a persistent directory or a running server.</summary>
public interface IChromaSource
{
    /// <summary>How the source was given (<c>chroma:/path</c>, <c>chroma-http:http://host:8000</c>).</summary>
    string Description { get; }

    /// <summary>Every collection, with its record count. Throws <see cref="ChromaSourceException"/> when the source is unusable.</summary>
    Task<IReadOnlyList<ChromaCollectionInfo>> ListCollectionsAsync(CancellationToken cancellationToken = default);

    /// <summary>The collection's records in a stable order, in batches of at most <paramref name="batchSize"/>.</summary>
    IAsyncEnumerable<IReadOnlyList<ChromaRecord>> ReadAsync(ChromaCollectionInfo collection, int batchSize, CancellationToken cancellationToken = default);
}

/// <summary>The source cannot be read as Chroma data (not a Chroma directory, corrupt file, unsupported layout, unreachable server).</summary>
public sealed class ChromaSourceException : Exception
{
    public ChromaSourceException(string message)
        : base(message)
    {
    }

    public ChromaSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ChromaSourceException()
    {
    }
}
