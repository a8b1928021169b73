using System.Collections.Concurrent;
using Grpc.Core;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Options;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace Maximus.Memory.Vectors.Qdrant;

/// <summary>
/// The Qdrant adapter of <see cref="IVectorStore"/> (Qdrant.Client, gRPC). New collections get the configured HNSW
/// parameters and scalar int8 quantization (searches re-score with the original vectors, oversampling configurable);
/// payload indexes are created for the spec's keys, the agent id as a tenant index. Point ids are UUIDs: a canonical UUID
/// id is used as is, any other string id maps to a name-based UUID, and the original id is kept in the payload under
/// <c>_id</c>. Dimensions are checked on the client, so a mismatch is the same <see cref="ArgumentException"/> as on the
/// embedded store, and nothing is sent. A collection with a text field (keyword search) has a named sparse vector
/// <see cref="TextVectorName"/> beside the unnamed dense one, holding the BM25 term weights of the field's text
/// (<see cref="Lexical.LexicalText"/> terms, hashed to 32-bit indices; IDF by the server through the <c>idf</c> modifier);
/// the field's name is kept in the collection's metadata under <see cref="TextFieldMetadataKey"/>, the embedding model of
/// the vectors under <see cref="EmbeddingModelMetadataKey"/> (every metadata update writes both keys, whether the server
/// merges or replaces the collection's metadata).
/// </summary>
public sealed class QdrantVectorStore : IVectorStore, IDisposable
{
    /// <summary>The sparse vector of BM25 term weights.</summary>
    public const string TextVectorName = "bm25";

    /// <summary>The collection-metadata key naming the payload field indexed for keyword search.</summary>
    public const string TextFieldMetadataKey = "maximus_text_field";

    /// <summary>The collection-metadata key naming the embedding model the vectors come from.</summary>
    public const string EmbeddingModelMetadataKey = "maximus_embedding_model";

    private readonly QdrantClient _client;
    private readonly QdrantVectorStoreOptions _options;
    private readonly bool _ownsClient;
    private readonly ConcurrentDictionary<string, (int Dimension, VectorDistance Distance)> _shapes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _textFields = new(StringComparer.Ordinal);

    public QdrantVectorStore(IOptions<QdrantVectorStoreOptions> options)
        : this(options.Value)
    {
    }

    public QdrantVectorStore(QdrantVectorStoreOptions options)
        : this(CreateClient(options), options, ownsClient: true)
    {
    }

    public QdrantVectorStore(QdrantClient client, QdrantVectorStoreOptions options, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
        _ownsClient = ownsClient;
    }

    public static QdrantClient CreateClient(QdrantVectorStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var address))
        {
            throw new ArgumentException($"Qdrant URL '{options.Url}' is not an absolute URI (e.g. http://localhost:6334).", nameof(options));
        }

        return new QdrantClient(address, options.ApiKey, options.Timeout);
    }

    public async Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default)
    {
        VectorValidation.Spec(spec);
        var existing = await GetCollectionAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            try
            {
                await _client.CreateCollectionAsync(
                    spec.Name,
                    new VectorParams { Size = (ulong)spec.Dimension, Distance = QdrantMapping.ToQdrant(spec.Distance) },
                    metadata: Metadata(spec.TextField, spec.EmbeddingModel),
                    sparseVectorsConfig: spec.TextField is null ? null : TextVectorConfig(),
                    onDiskPayload: _options.OnDiskPayload,
                    hnswConfig: HnswConfig(),
                    quantizationConfig: _options.Int8Quantization
                        ? new QuantizationConfig { Scalar = new ScalarQuantization { Type = QuantizationType.Int8, Quantile = _options.QuantizationQuantile } }
                        : null,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists || ex.Status.Detail.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                // Another process created it first: fall through and check its shape.
            }

            existing = await GetCollectionAsync(spec.Name, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Qdrant collection '{spec.Name}' was not created.");
        }

        EmbeddingModelMismatchException.ThrowIfDifferent(
            spec.Name, EmbeddingModelIds.Recorded(existing.EmbeddingModel, existing.Count, existing.Dimension), spec.EmbeddingModel);
        VectorValidation.SameShape(existing, spec);
        if (spec.EmbeddingModel is { } model && existing.EmbeddingModel is null)
        {
            // A collection from before models were recorded adopts the model it is ensured with.
            await _client.UpdateCollectionAsync(spec.Name, metadata: Metadata(existing.TextField, model), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        foreach (var (key, kind) in spec.PayloadIndexes)
        {
            if (!existing.PayloadIndexes.ContainsKey(key))
            {
                await _client.CreatePayloadIndexAsync(
                    spec.Name,
                    key,
                    kind is PayloadIndexKind.Integer ? PayloadSchemaType.Integer : kind is PayloadIndexKind.Float ? PayloadSchemaType.Float : PayloadSchemaType.Keyword,
                    kind is PayloadIndexKind.Tenant ? new PayloadIndexParams { KeywordIndexParams = new KeywordIndexParams { IsTenant = true } } : null,
                    wait: true,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        if (spec.TextField is { } textField)
        {
            var changed = !string.Equals(existing.TextField, textField, StringComparison.Ordinal);
            if (changed)
            {
                // A collection made before keyword search (or with another text field): add the sparse vector (Qdrant 1.18
                // and later add a named vector to an existing collection) and record the field.
                try
                {
                    await _client.UpdateCollectionAsync(
                        spec.Name, metadata: Metadata(textField, existing.EmbeddingModel ?? spec.EmbeddingModel), sparseVectorsConfig: TextVectorConfig(), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.Unimplemented)
                {
                    throw new InvalidOperationException(
                        $"Qdrant collection '{spec.Name}' has no sparse vector '{TextVectorName}' for keyword search and the server would not add one " +
                        $"({ex.Status.Detail}). Use Qdrant 1.18 or later, or copy the collection into a new one made by this version (maximus migrate).", ex);
                }

                _textFields[spec.Name] = textField;
            }

            await BackfillTextAsync(spec.Name, textField, everything: changed, cancellationToken).ConfigureAwait(false);
        }

        return await GetCollectionAsync(spec.Name, cancellationToken).ConfigureAwait(false) ?? existing;
    }

    /// <summary>
    /// Writes the sparse vector of points that lack it (all points when <paramref name="everything"/>), computed from the
    /// text in their payloads: the upgrade path from a per-pod lexical file, and the repair after a writer that did not
    /// know the text field.
    /// </summary>
    private async Task BackfillTextAsync(string collection, string field, bool everything, CancellationToken cancellationToken)
    {
        var filter = new Filter { MustNot = { Conditions.IsEmpty(field) } };
        if (!everything)
        {
            filter.MustNot.Add(Conditions.HasVector(TextVectorName));
        }

        PointId? offset = null;
        do
        {
            var page = await Call(collection, () => _client.ScrollAsync(
                collection, filter, (uint)Math.Max(1, _options.UpsertBatchSize), offset, true, false, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var updates = new List<PointVectors>();
            foreach (var point in page.Result)
            {
                var payload = QdrantMapping.ReadPayload(point.Payload);
                if (TextVector(payload, field) is { } sparse)
                {
                    updates.Add(new PointVectors { Id = point.Id, Vectors = new Dictionary<string, Vector> { [TextVectorName] = sparse } });
                }
            }

            if (updates.Count > 0)
            {
                await Call(collection, () => _client.UpdateVectorsAsync(collection, updates, wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            offset = page.NextPageOffset;
        }
        while (offset is not null);
    }

    public async Task<IReadOnlyList<VectorSearchHit>> SearchTextAsync(string collection, VectorTextSearchRequest request, CancellationToken cancellationToken = default)
    {
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        VectorValidation.TextSearchRequest(request, _textFields.GetValueOrDefault(collection), collection);
        var terms = Lexical.LexicalText.QueryTerms(request.Text);
        if (terms.Count == 0)
        {
            return [];
        }

        var weights = new SortedDictionary<uint, float>();
        foreach (var term in terms)
        {
            // A stem asked for by two distinct words weighs twice, as the embedded store's OR of both words does.
            weights[TermIndex(term)] = weights.GetValueOrDefault(TermIndex(term)) + 1f;
        }

        var points = await Call(collection, () => _client.QueryAsync(
            collection,
            query: ([.. weights.Values], [.. weights.Keys]),
            usingVector: TextVectorName,
            filter: QdrantMapping.ToQdrant(request.Filter),
            limit: (ulong)request.Limit,
            payloadSelector: PayloadSelector(request.WithPayload, request.PayloadKeys),
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. points
            .Select(p => new VectorSearchHit(
                QdrantMapping.ReadId(p.Payload, p.Id), p.Score, request.WithPayload ? QdrantMapping.ReadPayload(p.Payload) : null, ReadOnlyMemory<float>.Empty))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The BM25 document weights of a payload's text field (term frequency saturated by k1, length-normalised by b
    /// against <see cref="QdrantVectorStoreOptions.Bm25AverageLength"/>), or null when it has no terms.
    /// </summary>
    private Vector? TextVector(System.Text.Json.Nodes.JsonObject payload, string field)
    {
        if (payload[field] is not System.Text.Json.Nodes.JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return null;
        }

        var terms = Lexical.LexicalText.DocumentTerms(text);
        if (terms.Count == 0)
        {
            return null;
        }

        double k1 = _options.Bm25K1, b = _options.Bm25B;
        var norm = k1 * (1 - b + (b * terms.Count / Math.Max(1, _options.Bm25AverageLength)));
        var weights = new SortedDictionary<uint, float>();
        foreach (var group in terms.GroupBy(t => t, StringComparer.Ordinal))
        {
            var tf = group.Count();
            var index = TermIndex(group.Key);
            weights[index] = weights.GetValueOrDefault(index) + (float)(tf * (k1 + 1) / (tf + norm));
        }

        return ([.. weights.Values], [.. weights.Keys]);
    }

    /// <summary>A term's sparse index: FNV-1a (32 bits) of its UTF-8 bytes.</summary>
    internal static uint TermIndex(string term)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(term))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    public async Task<VectorCollectionInfo> RecordEmbeddingModelAsync(string collection, string embeddingModel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(embeddingModel);
        VectorValidation.CollectionName(collection);
        var existing = await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false) ?? throw new VectorCollectionNotFoundException(collection);
        await _client.UpdateCollectionAsync(collection, metadata: Metadata(existing.TextField, embeddingModel), cancellationToken: cancellationToken).ConfigureAwait(false);
        return await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false) ?? throw new VectorCollectionNotFoundException(collection);
    }

    /// <summary>The collection's metadata: the text field and the embedding model, each when known.</summary>
    private static Dictionary<string, Value> Metadata(string? textField, string? embeddingModel)
    {
        var metadata = new Dictionary<string, Value>();
        if (textField is not null)
        {
            metadata[TextFieldMetadataKey] = new Value { StringValue = textField };
        }

        if (embeddingModel is not null)
        {
            metadata[EmbeddingModelMetadataKey] = new Value { StringValue = embeddingModel };
        }

        return metadata;
    }

    private static SparseVectorConfig TextVectorConfig() =>
        new Dictionary<string, SparseVectorParams> { [TextVectorName] = new SparseVectorParams { Modifier = Modifier.Idf } };

    public async Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        VectorValidation.CollectionName(collection);
        CollectionInfo info;
        try
        {
            info = await _client.GetCollectionInfoAsync(collection, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (IsNotFound(ex))
        {
            _shapes.TryRemove(collection, out _);
            return null;
        }

        var parameters = info.Config.Params.VectorsConfig.Params
            ?? throw new InvalidOperationException($"Qdrant collection '{collection}' has named vectors, which this port does not use.");
        var shape = ((int)parameters.Size, QdrantMapping.FromQdrant(parameters.Distance, collection));
        _shapes[collection] = shape;
        var indexes = new Dictionary<string, PayloadIndexKind>(StringComparer.Ordinal);
        foreach (var (key, schema) in info.PayloadSchema)
        {
            PayloadIndexKind? kind = schema.DataType switch
            {
                PayloadSchemaType.Keyword => schema.Params?.KeywordIndexParams?.IsTenant == true ? PayloadIndexKind.Tenant : PayloadIndexKind.Keyword,
                PayloadSchemaType.Integer => PayloadIndexKind.Integer,
                PayloadSchemaType.Float => PayloadIndexKind.Float,
                _ => null,
            };
            if (kind is { } k)
            {
                indexes[key] = k;
            }
        }

        var textField = info.Config.Params.SparseVectorsConfig?.Map.ContainsKey(TextVectorName) == true
            && info.Config.Metadata.TryGetValue(TextFieldMetadataKey, out var fieldValue) && fieldValue.KindCase == Value.KindOneofCase.StringValue
            ? fieldValue.StringValue
            : null;
        _textFields[collection] = textField;
        var model = info.Config.Metadata.TryGetValue(EmbeddingModelMetadataKey, out var modelValue) && modelValue.KindCase == Value.KindOneofCase.StringValue
            ? modelValue.StringValue
            : null;
        var count = await _client.CountAsync(collection, exact: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new VectorCollectionInfo(collection, shape.Item1, shape.Item2, (long)count, indexes) { TextField = textField, EmbeddingModel = model };
    }

    public async Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        VectorValidation.CollectionName(collection);
        _shapes.TryRemove(collection, out _);
        _textFields.TryRemove(collection, out _);
        if (!await _client.CollectionExistsAsync(collection, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await _client.DeleteCollectionAsync(collection, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var (dimension, distance) = await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        var textField = _textFields.GetValueOrDefault(collection);
        var points = new Dictionary<string, PointStruct>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record is null)
            {
                throw new ArgumentException("A record is null.", nameof(records));
            }

            VectorValidation.Id(record.Id, nameof(records));
            VectorValidation.Vector(record.Vector.Span, dimension, collection, $"vector of point '{record.Id}'", nameof(records));
            VectorValidation.Payload(record.Payload, record.Id, nameof(records));
            var dense = VectorValidation.Prepare(record.Vector.Span, distance, $"vector of point '{record.Id}'", nameof(records));
            var point = new PointStruct
            {
                Id = QdrantMapping.PointId(record.Id),
                Vectors = textField is not null && TextVector(record.Payload, textField) is { } sparse
                    ? new Dictionary<string, Vector> { [string.Empty] = dense, [TextVectorName] = sparse }
                    : dense,
            };
            QdrantMapping.WritePayload(point.Payload, record.Id, record.Payload);
            points[record.Id] = point;
        }

        foreach (var batch in points.Values.Chunk(Math.Max(1, _options.UpsertBatchSize)))
        {
            await Call(collection, () => _client.UpsertAsync(collection, batch, wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default)
    {
        var (dimension, distance) = await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        VectorValidation.SearchRequest(request, dimension, collection);
        var query = VectorValidation.Prepare(request.Vector.Span, distance, "query vector", nameof(request));
        var parameters = new SearchParams
        {
            HnswEf = (ulong)_options.SearchHnswEf,
            Quantization = new QuantizationSearchParams { Rescore = _options.Rescore, Oversampling = _options.Oversampling },
        };
        var points = await Call(collection, () => _client.QueryAsync(
            collection,
            query: query,
            filter: QdrantMapping.ToQdrant(request.Filter),
            scoreThreshold: request.ScoreThreshold,
            searchParams: parameters,
            limit: (ulong)request.Limit,
            payloadSelector: PayloadSelector(request.WithPayload, request.PayloadKeys),
            vectorsSelector: request.WithVectors,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. points.Select(p => new VectorSearchHit(
            QdrantMapping.ReadId(p.Payload, p.Id),
            p.Score,
            request.WithPayload ? QdrantMapping.ReadPayload(p.Payload) : null,
            request.WithVectors ? QdrantMapping.ReadVector(p.Vectors) ?? ReadOnlyMemory<float>.Empty : ReadOnlyMemory<float>.Empty))];
    }

    public async Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default)
    {
        VectorValidation.Ids(ids);
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        var distinct = ids.Distinct(StringComparer.Ordinal).ToList();
        if (distinct.Count == 0)
        {
            return [];
        }

        var points = await Call(collection, () => _client.RetrieveAsync(
            collection, [.. distinct.Select(id => (PointId)QdrantMapping.PointId(id))], true, withVectors, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var byId = points.ToDictionary(p => QdrantMapping.ReadId(p.Payload, p.Id), StringComparer.Ordinal);
        return [.. distinct.Where(byId.ContainsKey).Select(id => ToRecord(byId[id], withVectors))];
    }

    public async Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        VectorValidation.Ids(ids);
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        var pointIds = ids.Distinct(StringComparer.Ordinal).Select(id => (PointId)QdrantMapping.PointId(id)).ToList();
        if (pointIds.Count == 0)
        {
            return 0;
        }

        var existing = await Call(collection, () => _client.RetrieveAsync(collection, pointIds, false, false, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (existing.Count == 0)
        {
            return 0;
        }

        await Call(collection, () => _client.DeleteAsync(collection, [.. existing.Select(p => p.Id)], wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return existing.Count;
    }

    public async Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        VectorValidation.Filter(filter, nameof(filter));
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        if (filter.IsEmpty)
        {
            return 0;
        }

        var qdrantFilter = QdrantMapping.ToQdrant(filter)!;
        var count = await Call(collection, () => _client.CountAsync(collection, qdrantFilter, exact: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (count > 0)
        {
            await Call(collection, () => _client.DeleteAsync(collection, qdrantFilter, wait: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return (long)count;
    }

    public async Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default)
    {
        VectorValidation.ScrollRequest(request);
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        PointId? offset = null;
        if (request.Cursor is not null)
        {
            offset = Guid.TryParse(request.Cursor, out var guid)
                ? guid
                : throw new ArgumentException($"Cursor '{request.Cursor}' was not returned by this store.", nameof(request));
        }

        var response = await Call(collection, () => _client.ScrollAsync(
            collection,
            QdrantMapping.ToQdrant(request.Filter),
            (uint)request.Limit,
            offset,
            PayloadSelector(withPayload: true, request.PayloadKeys),
            request.WithVectors,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        var records = response.Result.Select(p => ToRecord(p, request.WithVectors))
            .Select(r => request.WithPayload ? r : r with { Payload = [] })
            .ToList();
        var next = response.NextPageOffset is { } n && n.PointIdOptionsCase == PointId.PointIdOptionsOneofCase.Uuid ? n.Uuid : null;
        return new VectorScrollPage(records, next);
    }

    public async Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default)
    {
        VectorValidation.Filter(filter, nameof(filter));
        await ShapeAsync(collection, cancellationToken).ConfigureAwait(false);
        var count = await Call(collection, () => _client.CountAsync(collection, QdrantMapping.ToQdrant(filter), exact: true, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (long)count;
    }

    /// <summary>
    /// Snapshots every collection the server holds with Qdrant's own snapshot API (the snapshot files live on the
    /// server, under its snapshots path); returns "collection=snapshot" per collection, empty when there is none.
    /// Restore with Qdrant's snapshot recovery (<c>PUT /collections/{name}/snapshots/recover</c>).
    /// </summary>
    public async Task<IReadOnlyList<string>> SnapshotAllAsync(CancellationToken cancellationToken = default)
    {
        var names = await _client.ListCollectionsAsync(cancellationToken).ConfigureAwait(false);
        var snapshots = new List<string>(names.Count);
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            var snapshot = await _client.CreateSnapshotAsync(name, cancellationToken).ConfigureAwait(false);
            snapshots.Add($"{name}={snapshot.Name}");
        }

        return snapshots;
    }

    /// <summary>True when the server answers its health check.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _client.HealthAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private static bool IsNotFound(RpcException ex) =>
        ex.StatusCode == StatusCode.NotFound || ex.Status.Detail.Contains("doesn't exist", StringComparison.OrdinalIgnoreCase)
        || ex.Status.Detail.Contains("not found", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The whole payload, the asked keys (Qdrant sends only those), or no payload: the id key is always among them, as a
    /// point's string id lives there.
    /// </summary>
    private static WithPayloadSelector PayloadSelector(bool withPayload, IReadOnlyList<string>? keys = null) =>
        withPayload && keys is null
            ? true
            : new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { withPayload ? [.. keys!, QdrantMapping.IdKey] : [QdrantMapping.IdKey] } } };

    private static VectorRecord ToRecord(RetrievedPoint point, bool withVectors) => new(
        QdrantMapping.ReadId(point.Payload, point.Id),
        withVectors ? QdrantMapping.ReadVector(point.Vectors) ?? ReadOnlyMemory<float>.Empty : ReadOnlyMemory<float>.Empty,
        QdrantMapping.ReadPayload(point.Payload));

    private async Task<T> Call<T>(string collection, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (IsNotFound(ex))
        {
            _shapes.TryRemove(collection, out _);
            throw new VectorCollectionNotFoundException(collection);
        }
    }

    private async Task<(int Dimension, VectorDistance Distance)> ShapeAsync(string collection, CancellationToken cancellationToken)
    {
        VectorValidation.CollectionName(collection);
        if (_shapes.TryGetValue(collection, out var shape))
        {
            return shape;
        }

        _ = await GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false)
            ?? throw new VectorCollectionNotFoundException(collection);
        return _shapes[collection];
    }

    private HnswConfigDiff HnswConfig()
    {
        var config = new HnswConfigDiff { M = (ulong)_options.HnswM, EfConstruct = (ulong)_options.HnswEfConstruct };
        if (_options.HnswPayloadM is { } payloadM)
        {
            config.PayloadM = (ulong)payloadM;
        }

        return config;
    }
}
