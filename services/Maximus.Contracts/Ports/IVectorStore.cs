using System.Text.Json.Nodes;

namespace Maximus.Contracts.Ports;

/// <summary>
/// Vector store port: collections of points (id, float vector of a fixed dimension, JSON payload), searched by
/// similarity with payload filters. Two adapters pass one conformance suite: Qdrant (gRPC) and the embedded store
/// (SQLite holds vectors and payloads; exact search for small collections, a USearch HNSW index above a threshold).
/// </summary>
/// <remarks>
/// <para><b>Collection layout (decision).</b> Agent memory uses ONE collection per embedding model (the default name is
/// <see cref="VectorCollections.Memories"/>), not one collection per memory type. Every point carries
/// <see cref="VectorPayloadKeys.AgentId"/> and <see cref="VectorPayloadKeys.Type"/> in its payload, both with payload
/// indexes (agentId is the tenant key). Reasons: MIRIX active retrieval searches all types at once and merges them, which
/// is one filtered search (<c>type</c> any-of) instead of five; all types share one embedding model, so one dimension
/// check at start-up covers them; tenant isolation is a filter on an indexed key, which Qdrant optimises for (tenant
/// payload index) and the embedded store answers from in-memory posting lists; one HNSW graph is persisted and rebuilt
/// instead of five. Per-type ranking (recency, success rate) is applied by the memory module after retrieval; a small
/// type inside a large collection is served by exact search over its posting list. The vault is never embedded, so it
/// has no points here. The port itself allows any number of collections.</para>
/// <para><b>Scores.</b> Higher is more similar. <see cref="VectorDistance.Cosine"/> stores vectors L2-normalised (a
/// read returns the normalised vector) and scores with the cosine similarity; <see cref="VectorDistance.Dot"/> stores
/// vectors as given and scores with the dot product.</para>
/// <para><b>Lexical search (BM25).</b> A collection whose spec names a <see cref="VectorCollectionSpec.TextField"/> also
/// indexes that payload string for keyword search (<see cref="SearchTextAsync"/>): the text is tokenized on the client
/// (letters and digits, lower-cased, diacritics removed, Porter-stemmed; one tokenizer for every adapter) and written with
/// the point, so an upsert replaces it and a delete removes it together with the vector and payload. The embedded store
/// keeps it in an SQLite FTS5 table of the same file (same transaction), ranked by FTS5's <c>bm25()</c>; Qdrant keeps it
/// as a named sparse vector of BM25 term weights with the <c>idf</c> modifier (the server computes IDF). Dense and
/// lexical lists are returned separately; callers fuse them. Scores of the two adapters differ in scale (FTS5 uses the
/// collection's average length, Qdrant a configured one), rankings agree on the conformance data. Ensuring a collection
/// with a text field it lacked indexes the stored payloads (backfill), so no separate lexical file is ever needed.</para>
/// <para><b>Embedding model.</b> A collection records the embedding model its vectors come from
/// (<see cref="VectorCollectionSpec.EmbeddingModel"/>: the generator's <c>EmbeddingGeneratorMetadata.DefaultModelId</c>; a
/// variant of the same weights is written with a '#' suffix, see <see cref="EmbeddingModelIds"/>). Ensuring a collection
/// records the model of a new collection, or of an existing one that has no record yet (adoption); the same model (with
/// any variant suffix) leaves the record as it is; another model throws <see cref="EmbeddingModelMismatchException"/>
/// naming both and the command that re-embeds, and nothing is changed. The model check comes before the dimension
/// check, so a model with another dimension is refused by the same exception. Only
/// <see cref="RecordEmbeddingModelAsync"/> replaces a record (the re-embedding command, after it rewrote every vector).
/// The embedded store keeps the record in its SQLite file with the collection's settings, Qdrant in the collection's
/// metadata.</para>
/// <para><b>Errors.</b> A vector whose length differs from the collection's dimension, a non-finite component, an empty
/// id or a bad filter key throws <see cref="ArgumentException"/> naming the problem, and nothing of the call is written.
/// An unknown collection throws <see cref="VectorCollectionNotFoundException"/>.</para>
/// </remarks>
public interface IVectorStore
{
    /// <summary>
    /// Creates the collection, or checks an existing one: a different dimension or distance throws
    /// <see cref="ArgumentException"/> naming both dimensions (nothing is changed); missing payload indexes are added.
    /// </summary>
    Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The collection's settings and point count, or null when it does not exist.</summary>
    Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>Deletes the collection and every point in it; false when it did not exist.</summary>
    Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts or replaces points by id (a replaced point gets the new vector and the new payload, whole). All records
    /// are validated before anything is written; within one call the last record of an id wins.
    /// </summary>
    Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default);

    /// <summary>The <see cref="VectorSearchRequest.Limit"/> most similar points that pass the filter, most similar first.</summary>
    Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default);

    /// <summary>The points with these ids (missing ids are left out), in the order of <paramref name="ids"/>.</summary>
    Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default);

    /// <summary>Deletes points by id; returns how many existed. Missing ids are not an error.</summary>
    Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);

    /// <summary>Deletes every point that passes the filter (an empty filter deletes nothing); returns how many.</summary>
    Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Pages through the points that pass the filter; pass <see cref="VectorScrollPage.NextCursor"/> back for the next page.</summary>
    Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default);

    /// <summary>The number of points that pass the filter (all points without one).</summary>
    Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keyword (BM25) search over the collection's <see cref="VectorCollectionSpec.TextField"/>: the
    /// <see cref="VectorTextSearchRequest.Limit"/> best points that pass the filter and share a term with the query, best
    /// first (higher score is better; ties by id). Free user text is safe: it is tokenized, never parsed as query syntax;
    /// a query with no indexable term (only stop words or punctuation) finds nothing. A collection without a text field
    /// throws <see cref="ArgumentException"/>. Adapters without a lexical index (and decorators that do not forward it)
    /// throw <see cref="NotSupportedException"/>: the member is additive, so older implementations still compile.
    /// </summary>
    Task<IReadOnlyList<VectorSearchHit>> SearchTextAsync(string collection, VectorTextSearchRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} has no lexical (BM25) search.");

    /// <summary>
    /// Records <paramref name="embeddingModel"/> as the model of the collection's vectors, replacing any record (no check:
    /// the caller has just rewritten every vector with it, or marks a collection being re-embedded, see
    /// <see cref="EmbeddingModelIds.Reembedding"/>). Returns the collection's info. An unknown collection throws
    /// <see cref="VectorCollectionNotFoundException"/>. Adapters (and decorators) that do not implement it throw
    /// <see cref="NotSupportedException"/>: the member is additive.
    /// </summary>
    Task<VectorCollectionInfo> RecordEmbeddingModelAsync(string collection, string embeddingModel, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} cannot record an embedding model.");
}

/// <summary>Well-known collection names.</summary>
public static class VectorCollections
{
    /// <summary>The agent-memory collection: every memory type of every agent, one embedding model.</summary>
    public const string Memories = "memories";
}

/// <summary>
/// Payload keys of memory entries. Timestamps are Unix milliseconds (numbers), so that range filters work on both
/// adapters (e.g. "not expired": <c>MustNot Range(expiresAt, lte: now)</c>, which also keeps entries without expiry).
/// Top-level keys starting with an underscore are reserved for the adapters.
/// </summary>
public static class VectorPayloadKeys
{
    public const string AgentId = "agentId";
    public const string Type = "type";
    public const string Text = "text";
    public const string CreatedAt = "createdAt";
    public const string UpdatedAt = "updatedAt";
    public const string ExpiresAt = "expiresAt";
    public const string Tags = "tags";
}

public enum VectorDistance
{
    /// <summary>Cosine similarity; vectors are stored L2-normalised.</summary>
    Cosine,

    /// <summary>Dot product of the vectors as given.</summary>
    Dot,
}

/// <summary>How a payload key is indexed for filtering.</summary>
public enum PayloadIndexKind
{
    /// <summary>String values (or arrays of strings) matched by equality.</summary>
    Keyword,

    /// <summary>A keyword that partitions points by tenant (Qdrant: <c>is_tenant</c>); use it for the agent id.</summary>
    Tenant,

    /// <summary>Whole numbers (e.g. Unix-millisecond timestamps) for range filters.</summary>
    Integer,

    /// <summary>Floating-point numbers for range filters.</summary>
    Float,
}

/// <summary>A collection: name (letters, digits, '-' and '_', at most 64), dimension (1 to 65,536), distance, payload indexes.</summary>
public sealed record VectorCollectionSpec(string Name, int Dimension, VectorDistance Distance = VectorDistance.Cosine)
{
    /// <summary>agentId (tenant), type and expiresAt: the keys every memory search filters on.</summary>
    public static IReadOnlyDictionary<string, PayloadIndexKind> DefaultPayloadIndexes { get; } = new Dictionary<string, PayloadIndexKind>(StringComparer.Ordinal)
    {
        [VectorPayloadKeys.AgentId] = PayloadIndexKind.Tenant,
        [VectorPayloadKeys.Type] = PayloadIndexKind.Keyword,
        [VectorPayloadKeys.ExpiresAt] = PayloadIndexKind.Integer,
    };

    /// <summary>Keys to index. Filters on other keys work too, but scan payloads (slower at scale on both adapters).</summary>
    public IReadOnlyDictionary<string, PayloadIndexKind> PayloadIndexes { get; init; } = DefaultPayloadIndexes;

    /// <summary>
    /// A top-level payload key whose string value is indexed for BM25 search (<see cref="IVectorStore.SearchTextAsync"/>);
    /// null: no lexical index. Points without the key (or with a non-string value) are not in the lexical index. Ensuring
    /// an existing collection with a new or different text field (re)indexes its stored payloads.
    /// </summary>
    public string? TextField { get; init; }

    /// <summary>
    /// The embedding model the vectors come from (e.g. <c>sentence-transformers/all-MiniLM-L6-v2</c>); null: not checked
    /// and nothing recorded. See the remarks of <see cref="IVectorStore"/>.
    /// </summary>
    public string? EmbeddingModel { get; init; }
}

public sealed record VectorCollectionInfo(
    string Name,
    int Dimension,
    VectorDistance Distance,
    long Count,
    IReadOnlyDictionary<string, PayloadIndexKind> PayloadIndexes)
{
    /// <summary>The payload key indexed for BM25 search, or null.</summary>
    public string? TextField { get; init; }

    /// <summary>The embedding model recorded for the collection's vectors, or null when none was recorded.</summary>
    public string? EmbeddingModel { get; init; }
}

/// <summary>
/// A point. <paramref name="Payload"/> is a JSON object (strings, numbers, booleans, arrays, nested objects); it is
/// copied on write, so the caller may reuse it. On reads without vectors, <paramref name="Vector"/> is empty.
/// </summary>
public sealed record VectorRecord(string Id, ReadOnlyMemory<float> Vector, JsonObject Payload)
{
    /// <summary>A record whose payload is a flat string dictionary.</summary>
    public static VectorRecord FromStrings(string id, ReadOnlyMemory<float> vector, IEnumerable<KeyValuePair<string, string>> payload)
    {
        var json = new JsonObject();
        foreach (var (key, value) in payload)
        {
            json[key] = value;
        }

        return new VectorRecord(id, vector, json);
    }
}

/// <summary>A similarity search: the query vector, how many hits (1 to <see cref="MaxLimit"/>) and an optional filter.</summary>
public sealed record VectorSearchRequest(ReadOnlyMemory<float> Vector, int Limit = 10, VectorFilter? Filter = null)
{
    public const int MaxLimit = 1000;

    public bool WithPayload { get; init; } = true;

    /// <summary>
    /// The top-level payload keys the hits carry, the others left out (keys a point lacks are absent from its hit); null:
    /// the whole payload. Only read with <see cref="WithPayload"/>. For a caller that needs a few fields of many hits (hybrid
    /// retrieval's places and priors): the embedded store does not decode the rest and Qdrant does not send it; an adapter
    /// that receives whole payloads keeps these keys of them (<see cref="VectorPayloadSelection"/>).
    /// </summary>
    public IReadOnlyList<string>? PayloadKeys { get; init; }

    public bool WithVectors { get; init; }

    /// <summary>Leave out hits whose score is below this.</summary>
    public float? ScoreThreshold { get; init; }
}

/// <summary>
/// A keyword search: free user text, how many hits (1 to <see cref="VectorSearchRequest.MaxLimit"/>) and an optional
/// filter (the same filters as a similarity search; filter on indexed keys).
/// </summary>
public sealed record VectorTextSearchRequest(string Text, int Limit = 10, VectorFilter? Filter = null)
{
    public bool WithPayload { get; init; } = true;

    /// <inheritdoc cref="VectorSearchRequest.PayloadKeys"/>
    public IReadOnlyList<string>? PayloadKeys { get; init; }
}

/// <summary>A search hit; <see cref="Payload"/> is null when not requested, <see cref="Vector"/> empty when not requested.</summary>
public sealed record VectorSearchHit(string Id, float Score, JsonObject? Payload, ReadOnlyMemory<float> Vector);

/// <summary>A page request: at most <paramref name="Limit"/> points (1 to 10,000) that pass the filter, after the cursor.</summary>
public sealed record VectorScrollRequest(int Limit = 100, VectorFilter? Filter = null, string? Cursor = null)
{
    public const int MaxLimit = 10_000;

    public bool WithPayload { get; init; } = true;

    /// <inheritdoc cref="VectorSearchRequest.PayloadKeys"/>
    public IReadOnlyList<string>? PayloadKeys { get; init; }

    public bool WithVectors { get; init; }
}

/// <summary>A page of points and the cursor of the next page (null on the last page). Cursors are opaque, per adapter.</summary>
public sealed record VectorScrollPage(IReadOnlyList<VectorRecord> Records, string? NextCursor);

/// <summary>
/// A payload filter: every <see cref="Must"/> condition holds and no <see cref="MustNot"/> condition holds. Keys are
/// top-level payload keys (letters, digits and '_', not starting with a digit or '_').
/// </summary>
public sealed record VectorFilter(IReadOnlyList<VectorCondition> Must, IReadOnlyList<VectorCondition> MustNot)
{
    public static VectorFilter Empty { get; } = new([], []);

    public bool IsEmpty => Must.Count == 0 && MustNot.Count == 0;

    public static VectorFilter Where(params VectorCondition[] must) => new(must, []);

    /// <summary>Only this agent's points (tenant isolation).</summary>
    public static VectorFilter ForAgent(string agentId) => Where(VectorCondition.Match(VectorPayloadKeys.AgentId, agentId));

    public VectorFilter And(VectorCondition condition) => this with { Must = [.. Must, condition] };

    public VectorFilter AndNot(VectorCondition condition) => this with { MustNot = [.. MustNot, condition] };

    /// <summary>Only these memory types.</summary>
    public VectorFilter OfTypes(params string[] types) => And(VectorCondition.MatchAny(VectorPayloadKeys.Type, types));

    /// <summary>Leaves out points whose <see cref="VectorPayloadKeys.ExpiresAt"/> is at or before <paramref name="now"/>; points without one stay.</summary>
    public VectorFilter NotExpired(DateTimeOffset now) =>
        AndNot(VectorCondition.Range(VectorPayloadKeys.ExpiresAt, lte: now.ToUnixTimeMilliseconds()));
}

/// <summary>One condition on a payload key.</summary>
public abstract record VectorCondition(string Key)
{
    /// <summary>The string value equals <paramref name="value"/> (for an array: any element does).</summary>
    public static MatchCondition Match(string key, string value) => new(key, value);

    /// <summary>The string value is one of <paramref name="values"/> (for an array: any element is).</summary>
    public static MatchAnyCondition MatchAny(string key, IEnumerable<string> values) => new(key, [.. values]);

    /// <summary>The value is a number within the bounds given (a missing key or a non-number never matches).</summary>
    public static RangeCondition Range(string key, double? gt = null, double? gte = null, double? lt = null, double? lte = null) =>
        new(key, gt, gte, lt, lte);
}

public sealed record MatchCondition(string Key, string Value) : VectorCondition(Key);

public sealed record MatchAnyCondition(string Key, IReadOnlyList<string> Values) : VectorCondition(Key);

public sealed record RangeCondition(string Key, double? Gt = null, double? Gte = null, double? Lt = null, double? Lte = null) : VectorCondition(Key);

/// <summary>The collection named does not exist (create it with <see cref="IVectorStore.EnsureCollectionAsync"/>).</summary>
public sealed class VectorCollectionNotFoundException(string collection)
    : InvalidOperationException($"Vector collection '{collection}' does not exist.")
{
    public string Collection { get; } = collection;
}

/// <summary>
/// Embedding model ids as collections record them: the generator's model id, with an optional variant suffix after '#'
/// for the same weights run differently (e.g. <c>sentence-transformers/all-MiniLM-L6-v2#int8</c>), whose vectors are
/// interchangeable with the plain model's.
/// </summary>
public static class EmbeddingModelIds
{
    /// <summary>The command that re-embeds the memories collection with the configured model.</summary>
    public const string ReembedCommand = "maximus memory reembed";

    private const string ReembeddingPrefix = "reembedding:";

    /// <summary>The only local model of the versions before collections recorded their model (384 dimensions).</summary>
    public const string UnrecordedLocalModel = "sentence-transformers/all-MiniLM-L6-v2";

    /// <summary>
    /// The model a collection's vectors come from: its record; for a collection from before models were recorded that
    /// holds points with <see cref="UnrecordedLocalModel"/>'s dimension, that model (those versions embedded locally with
    /// it; assuming so refuses another model rather than mixing vectors, and the re-embedding command is always safe);
    /// otherwise null (an empty collection adopts the model it is ensured with).
    /// </summary>
    public static string? Recorded(string? record, long count, int dimension) =>
        record ?? (count > 0 && dimension == 384 ? UnrecordedLocalModel : null);

    /// <summary>The id without its variant suffix ('#' and what follows).</summary>
    public static string BaseModel(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var hash = id.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? id : id[..hash];
    }

    /// <summary>True when both ids name the same model, variants aside (ordinal).</summary>
    public static bool SameModel(string? a, string? b) =>
        a is not null && b is not null && string.Equals(BaseModel(a), BaseModel(b), StringComparison.Ordinal);

    /// <summary>
    /// The record of a collection whose re-embedding into <paramref name="target"/> has begun but not finished: it names
    /// no model, so every configured model is refused (with the command) until the command has run to its end.
    /// </summary>
    public static string Reembedding(string target) => ReembeddingPrefix + target;

    /// <summary>True when <paramref name="id"/> marks an unfinished re-embedding (see <see cref="Reembedding"/>).</summary>
    public static bool IsReembedding(string? id) => id is not null && id.StartsWith(ReembeddingPrefix, StringComparison.Ordinal);
}

/// <summary>
/// A collection's vectors come from another embedding model than the configured one: its vectors cannot be compared
/// with the new model's. The message names the collection, both models and the command that re-embeds.
/// </summary>
public sealed class EmbeddingModelMismatchException(string collection, string recordedModel, string configuredModel)
    : InvalidOperationException(
        EmbeddingModelIds.IsReembedding(recordedModel)
            ? $"Vector collection '{collection}' is being re-embedded ({recordedModel}) and the run has not finished; the configured embedding model is " +
              $"'{configuredModel}'. Run '{EmbeddingModelIds.ReembedCommand}' (it resumes where it stopped), then start again."
            : $"Vector collection '{collection}' was embedded with '{recordedModel}', but the configured embedding model is '{configuredModel}'. " +
              $"Run '{EmbeddingModelIds.ReembedCommand}' to re-embed it with the configured model, or configure '{recordedModel}' again.")
{
    /// <summary>The exit code of a host that stops on this (the CLI uses 1–3, an unusable data file 4).</summary>
    public const int ExitCode = 5;

    public string Collection { get; } = collection;

    public string RecordedModel { get; } = recordedModel;

    public string ConfiguredModel { get; } = configuredModel;

    /// <summary>The first <see cref="EmbeddingModelMismatchException"/> in <paramref name="exception"/> and its inner exceptions.</summary>
    public static EmbeddingModelMismatchException? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is EmbeddingModelMismatchException found)
            {
                return found;
            }

            if (e is AggregateException aggregate && aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null) is { } inAggregate)
            {
                return inAggregate;
            }
        }

        return null;
    }

    /// <summary>
    /// The rule of <see cref="IVectorStore.EnsureCollectionAsync"/>: throws when both a recorded and a requested model are
    /// known and they are not the same model.
    /// </summary>
    public static void ThrowIfDifferent(string collection, string? recorded, string? requested)
    {
        if (recorded is not null && requested is not null && !EmbeddingModelIds.SameModel(recorded, requested))
        {
            throw new EmbeddingModelMismatchException(collection, recorded, requested);
        }
    }
}

/// <summary>What a request's <c>PayloadKeys</c> keeps of a payload, for adapters that receive whole payloads.</summary>
public static class VectorPayloadSelection
{
    /// <summary>The payload itself when <paramref name="keys"/> is null; else a payload of only those of its keys.</summary>
    public static JsonObject Keep(JsonObject payload, IReadOnlyList<string>? keys)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (keys is null)
        {
            return payload;
        }

        var kept = new JsonObject();
        foreach (var key in keys)
        {
            if (!kept.ContainsKey(key) && payload.TryGetPropertyValue(key, out var value))
            {
                kept[key] = value?.DeepClone();
            }
        }

        return kept;
    }
}
