using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;

namespace Maximus.Migration.Chroma;

/// <summary>
/// <see cref="IVectorStore"/> over a Chroma server (<see cref="ChromaHttpClient"/>), the "old store" of a dual-write period.
/// A collection is a Chroma collection of the same name (metadata <c>hnsw:space</c> = <c>cosine</c> or <c>ip</c> and
/// <c>maximus:dimension</c>); a point is a Chroma record: its payload's <c>text</c> is the document, the other scalar
/// payload values are the metadata, and arrays, objects and nulls are stored as JSON strings (their keys listed in the
/// reserved metadata key <c>_maximus_json</c>) and parsed back on reads. Scores are <c>1 - distance</c> (cosine
/// similarity, or the dot product for <c>ip</c>).
/// </summary>
/// <remarks>
/// Limitations (they throw <see cref="NotSupportedException"/>): a <c>MustNot</c> range (Chroma's where cannot say "the
/// key is missing or out of range") and an empty <c>MatchAny</c> in <c>Must</c>. A Match on a payload array does not
/// match its elements, because arrays are stored as JSON strings.
/// </remarks>
public sealed class ChromaVectorStore(ChromaHttpClient client) : IVectorStore
{
    /// <summary>Metadata key listing the payload keys stored as JSON strings.</summary>
    public const string JsonKeysKey = "_maximus_json";

    private const string SpaceKey = "hnsw:space";
    private const string DimensionKey = "maximus:dimension";

    private readonly ConcurrentDictionary<string, Collection> _collections = new(StringComparer.Ordinal);

    private sealed record Collection(string Id, string Name, int Dimension, VectorDistance Distance);

    public async Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var metadata = new JsonObject
        {
            [SpaceKey] = spec.Distance == VectorDistance.Cosine ? "cosine" : "ip",
            [DimensionKey] = spec.Dimension,
        };
        var created = Parse(await client.CreateCollectionAsync(spec.Name, metadata, cancellationToken).ConfigureAwait(false), spec.Name);
        if (created.Dimension != spec.Dimension || created.Distance != spec.Distance)
        {
            throw new ArgumentException(
                $"Chroma collection '{spec.Name}' exists with dimension {created.Dimension} ({created.Distance}), not {spec.Dimension} ({spec.Distance}).",
                nameof(spec));
        }

        _collections[spec.Name] = created;
        return await InfoAsync(created, cancellationToken).ConfigureAwait(false);
    }

    public async Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        var found = await FindAsync(collection, cancellationToken).ConfigureAwait(false);
        return found is null ? null : await InfoAsync(found, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        _collections.TryRemove(collection, out _);
        if (await client.FindCollectionAsync(collection, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        await client.DeleteCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        var latest = new Dictionary<string, ChromaRecord>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (string.IsNullOrEmpty(record.Id))
            {
                throw new ArgumentException("A point id must not be empty.", nameof(records));
            }

            if (record.Vector.Length != target.Dimension)
            {
                throw new ArgumentException(
                    $"Point '{record.Id}' has {record.Vector.Length} dimensions; collection '{collection}' has {target.Dimension}.", nameof(records));
            }

            var vector = record.Vector.ToArray();
            if (vector.Any(v => !float.IsFinite(v)))
            {
                throw new ArgumentException($"Point '{record.Id}' has a non-finite vector component.", nameof(records));
            }

            latest.Remove(record.Id);
            latest[record.Id] = ToChroma(record.Id, target.Distance == VectorDistance.Cosine ? Normalise(vector) : vector, record.Payload);
        }

        if (latest.Count > 0)
        {
            await client.UpsertAsync(target.Id, [.. latest.Values], cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 1 or > VectorSearchRequest.MaxLimit)
        {
            throw new ArgumentException($"Limit must be from 1 to {VectorSearchRequest.MaxLimit}.", nameof(request));
        }

        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        if (request.Vector.Length != target.Dimension)
        {
            throw new ArgumentException($"The query has {request.Vector.Length} dimensions; collection '{collection}' has {target.Dimension}.", nameof(request));
        }

        var query = target.Distance == VectorDistance.Cosine ? Normalise(request.Vector.ToArray()) : request.Vector.ToArray();
        var body = new JsonObject
        {
            ["query_embeddings"] = new JsonArray(new JsonArray([.. query.Select(v => JsonValue.Create(v))])),
            ["n_results"] = request.Limit,
            ["include"] = Include(true, request.WithVectors, distances: true),
        };
        AddWhere(body, request.Filter);
        var response = await client.QueryRawAsync(target.Id, body, cancellationToken).ConfigureAwait(false);
        var ids = response["ids"]?[0] as JsonArray ?? [];
        var hits = new List<VectorSearchHit>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            var score = 1f - (response["distances"]?[0]?[i]?.GetValue<float>() ?? 1f);
            if (request.ScoreThreshold is { } threshold && score < threshold)
            {
                continue;
            }

            hits.Add(new VectorSearchHit(
                ids[i]!.GetValue<string>(),
                score,
                request.WithPayload ? VectorPayloadSelection.Keep(ToPayload(response["documents"]?[0]?[i], response["metadatas"]?[0]?[i]), request.PayloadKeys) : null,
                request.WithVectors ? Vector(response["embeddings"]?[0]?[i]) : ReadOnlyMemory<float>.Empty));
        }

        return hits;
    }

    public async Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return [];
        }

        var body = new JsonObject { ["ids"] = Strings(ids.Distinct(StringComparer.Ordinal)), ["include"] = Include(true, withVectors) };
        var found = Records(await client.GetRawAsync(target.Id, body, cancellationToken).ConfigureAwait(false), withVectors)
            .ToDictionary(r => r.Id, StringComparer.Ordinal);
        return [.. ids.Where(found.ContainsKey).Select(id => found[id])];
    }

    public async Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return 0;
        }

        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        var existing = await client.GetRawAsync(target.Id, new JsonObject { ["ids"] = Strings(distinct), ["include"] = new JsonArray() }, cancellationToken)
            .ConfigureAwait(false);
        var count = (existing["ids"] as JsonArray)?.Count ?? 0;
        await client.DeleteAsync(target.Id, distinct, cancellationToken).ConfigureAwait(false);
        return count;
    }

    public async Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        if (filter.IsEmpty)
        {
            return 0;
        }

        var body = new JsonObject { ["include"] = new JsonArray() };
        AddWhere(body, filter);
        var ids = (await client.GetRawAsync(target.Id, body, cancellationToken).ConfigureAwait(false))["ids"] as JsonArray ?? [];
        var list = ids.Select(i => i!.GetValue<string>()).ToList();
        if (list.Count > 0)
        {
            await client.DeleteAsync(target.Id, list, cancellationToken).ConfigureAwait(false);
        }

        return list.Count;
    }

    public async Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Limit is < 1 or > VectorScrollRequest.MaxLimit)
        {
            throw new ArgumentException($"Limit must be from 1 to {VectorScrollRequest.MaxLimit}.", nameof(request));
        }

        var offset = 0;
        if (request.Cursor is not null && (!int.TryParse(request.Cursor, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            throw new ArgumentException($"'{request.Cursor}' is not a cursor of this store.", nameof(request));
        }

        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["limit"] = request.Limit + 1, ["offset"] = offset, ["include"] = Include(true, request.WithVectors) };
        AddWhere(body, request.Filter);
        var records = Records(await client.GetRawAsync(target.Id, body, cancellationToken).ConfigureAwait(false), request.WithVectors);
        var more = records.Count > request.Limit;
        var page = records.Take(request.Limit)
            .Select(r => request.WithPayload ? r with { Payload = VectorPayloadSelection.Keep(r.Payload, request.PayloadKeys) } : r with { Payload = [] })
            .ToList();
        return new VectorScrollPage(page, more ? (offset + request.Limit).ToString(CultureInfo.InvariantCulture) : null);
    }

    public async Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default)
    {
        var target = await RequireAsync(collection, cancellationToken).ConfigureAwait(false);
        if (filter is null || filter.IsEmpty)
        {
            return await client.CountAsync(target.Id, cancellationToken).ConfigureAwait(false);
        }

        var body = new JsonObject { ["include"] = new JsonArray() };
        AddWhere(body, filter);
        return ((await client.GetRawAsync(target.Id, body, cancellationToken).ConfigureAwait(false))["ids"] as JsonArray)?.Count ?? 0;
    }

    /// <summary>
    /// The Chroma <c>where</c> of a filter, or null for none: Match → <c>{"key": value}</c>, MatchAny → <c>$in</c>, Range →
    /// <c>$gt</c>/<c>$gte</c>/<c>$lt</c>/<c>$lte</c>, MustNot Match → <c>$ne</c>, MustNot MatchAny → <c>$nin</c>, several → <c>$and</c>.
    /// </summary>
    public static JsonObject? Where(VectorFilter? filter)
    {
        if (filter is null || filter.IsEmpty)
        {
            return null;
        }

        var clauses = new List<JsonObject>();
        foreach (var condition in filter.Must)
        {
            switch (condition)
            {
                case MatchCondition m:
                    clauses.Add(new JsonObject { [m.Key] = m.Value });
                    break;
                case MatchAnyCondition { Values.Count: 0 } any:
                    throw new NotSupportedException($"Chroma cannot express an empty any-of on '{any.Key}' (it matches nothing).");
                case MatchAnyCondition any:
                    clauses.Add(new JsonObject { [any.Key] = new JsonObject { ["$in"] = Strings(any.Values) } });
                    break;
                case RangeCondition r:
                    AddBound(clauses, r.Key, "$gt", r.Gt);
                    AddBound(clauses, r.Key, "$gte", r.Gte);
                    AddBound(clauses, r.Key, "$lt", r.Lt);
                    AddBound(clauses, r.Key, "$lte", r.Lte);
                    break;
                default:
                    throw new NotSupportedException($"Chroma cannot express the condition {condition.GetType().Name} on '{condition.Key}'.");
            }
        }

        foreach (var condition in filter.MustNot)
        {
            switch (condition)
            {
                case MatchCondition m:
                    clauses.Add(new JsonObject { [m.Key] = new JsonObject { ["$ne"] = m.Value } });
                    break;
                case MatchAnyCondition { Values.Count: 0 }:
                    break;
                case MatchAnyCondition any:
                    clauses.Add(new JsonObject { [any.Key] = new JsonObject { ["$nin"] = Strings(any.Values) } });
                    break;
                default:
                    throw new NotSupportedException(
                        $"Chroma cannot express a must-not {condition.GetType().Name.Replace("Condition", "", StringComparison.Ordinal).ToLowerInvariant()} on '{condition.Key}' "
                        + "(its where has no \"key missing or out of range\"); read from the new store for this filter.");
            }
        }

        return clauses.Count switch
        {
            0 => null,
            1 => clauses[0],
            _ => new JsonObject { ["$and"] = new JsonArray([.. clauses]) },
        };
    }

    /// <summary>The Chroma record of a point: document from <c>text</c>, flat metadata, JSON strings for the rest.</summary>
    public static ChromaRecord ToChroma(string id, float[] vector, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        string? document = null;
        var metadata = new JsonObject();
        var jsonKeys = new List<string>();
        foreach (var (key, value) in payload)
        {
            if (key == VectorPayloadKeys.Text && value is JsonValue text && text.GetValueKind() == JsonValueKind.String)
            {
                document = text.GetValue<string>();
                continue;
            }

            if (key == JsonKeysKey)
            {
                throw new ArgumentException($"Payload key '{JsonKeysKey}' is reserved by the Chroma adapter.", nameof(payload));
            }

            if (value is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            {
                metadata[key] = scalar.DeepClone();
            }
            else
            {
                metadata[key] = value?.ToJsonString() ?? "null";
                jsonKeys.Add(key);
            }
        }

        if (jsonKeys.Count > 0)
        {
            metadata[JsonKeysKey] = JsonSerializer.Serialize(jsonKeys);
        }

        return new ChromaRecord(id, document, metadata, vector);
    }

    /// <summary>The payload of a Chroma record (the inverse of <see cref="ToChroma"/>).</summary>
    public static JsonObject ToPayload(JsonNode? document, JsonNode? metadata)
    {
        var payload = new JsonObject();
        var meta = metadata as JsonObject;
        var jsonKeys = meta?[JsonKeysKey] is JsonValue keys && keys.GetValueKind() == JsonValueKind.String
            ? JsonSerializer.Deserialize<List<string>>(keys.GetValue<string>()) ?? []
            : [];
        if (document is JsonValue doc && doc.GetValueKind() == JsonValueKind.String)
        {
            payload[VectorPayloadKeys.Text] = doc.GetValue<string>();
        }

        foreach (var (key, value) in meta ?? [])
        {
            if (key == JsonKeysKey)
            {
                continue;
            }

            payload[key] = jsonKeys.Contains(key) && value is JsonValue json && json.GetValueKind() == JsonValueKind.String
                ? JsonNode.Parse(json.GetValue<string>())
                : value?.DeepClone();
        }

        return payload;
    }

    private static void AddBound(List<JsonObject> clauses, string key, string op, double? bound)
    {
        if (bound is { } value)
        {
            clauses.Add(new JsonObject { [key] = new JsonObject { [op] = value } });
        }
    }

    private static void AddWhere(JsonObject body, VectorFilter? filter)
    {
        if (Where(filter) is { } where)
        {
            body["where"] = where;
        }
    }

    private static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => JsonValue.Create(v))];

    private static JsonArray Include(bool payload, bool vectors, bool distances = false)
    {
        var include = new JsonArray();
        if (payload)
        {
            include.Add("documents");
            include.Add("metadatas");
        }

        if (vectors)
        {
            include.Add("embeddings");
        }

        if (distances)
        {
            include.Add("distances");
        }

        return include;
    }

    private static List<VectorRecord> Records(JsonObject response, bool withVectors)
    {
        var ids = response["ids"] as JsonArray ?? [];
        var records = new List<VectorRecord>(ids.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            records.Add(new VectorRecord(
                ids[i]!.GetValue<string>(),
                withVectors ? Vector(response["embeddings"]?[i]) : ReadOnlyMemory<float>.Empty,
                ToPayload(response["documents"]?[i], response["metadatas"]?[i])));
        }

        return records;
    }

    private static ReadOnlyMemory<float> Vector(JsonNode? node) =>
        node is JsonArray array ? array.Select(v => v!.GetValue<float>()).ToArray() : ReadOnlyMemory<float>.Empty;

    private static float[] Normalise(float[] vector)
    {
        var norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        return norm == 0 ? vector : [.. vector.Select(v => (float)(v / norm))];
    }

    private async Task<VectorCollectionInfo> InfoAsync(Collection collection, CancellationToken cancellationToken) =>
        new(collection.Name, collection.Dimension, collection.Distance,
            await client.CountAsync(collection.Id, cancellationToken).ConfigureAwait(false), VectorCollectionSpec.DefaultPayloadIndexes);

    private async Task<Collection?> FindAsync(string collection, CancellationToken cancellationToken)
    {
        if (_collections.TryGetValue(collection, out var cached))
        {
            return cached;
        }

        var found = await client.FindCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return null;
        }

        var parsed = Parse(found, collection);
        _collections[collection] = parsed;
        return parsed;
    }

    private async Task<Collection> RequireAsync(string collection, CancellationToken cancellationToken) =>
        await FindAsync(collection, cancellationToken).ConfigureAwait(false) ?? throw new VectorCollectionNotFoundException(collection);

    private Collection Parse(JsonObject json, string name)
    {
        var id = json["id"]?.GetValue<string>() ?? throw new ChromaSourceException($"{client.Description}: collection '{name}' has no id.");
        var metadata = json["metadata"] as JsonObject;
        var dimension = metadata?[DimensionKey] is JsonValue d && d.GetValueKind() == JsonValueKind.Number ? d.GetValue<int>()
            : json["dimension"] is JsonValue cd && cd.GetValueKind() == JsonValueKind.Number ? cd.GetValue<int>()
            : throw new ChromaSourceException($"{client.Description}: collection '{name}' records no dimension (it was not created by this adapter).");
        var space = metadata?[SpaceKey]?.GetValue<string>() ?? "l2";
        var distance = space switch
        {
            "cosine" => VectorDistance.Cosine,
            "ip" => VectorDistance.Dot,
            _ => throw new NotSupportedException($"Chroma collection '{name}' uses distance '{space}'; the adapter supports cosine and ip."),
        };
        return new Collection(id, name, dimension, distance);
    }
}
