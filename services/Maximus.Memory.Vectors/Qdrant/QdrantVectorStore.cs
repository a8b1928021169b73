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
/// embedded store, and nothing is sent.
/// </summary>
public sealed class QdrantVectorStore : IVectorStore, IDisposable
{
    private readonly QdrantClient _client;
    private readonly QdrantVectorStoreOptions _options;
    private readonly bool _ownsClient;
    private readonly ConcurrentDictionary<string, (int Dimension, VectorDistance Distance)> _shapes = new(StringComparer.Ordinal);

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

        VectorValidation.SameShape(existing, spec);
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

        return await GetCollectionAsync(spec.Name, cancellationToken).ConfigureAwait(false) ?? existing;
    }

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

        var count = await _client.CountAsync(collection, exact: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new VectorCollectionInfo(collection, shape.Item1, shape.Item2, (long)count, indexes);
    }

    public async Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        VectorValidation.CollectionName(collection);
        _shapes.TryRemove(collection, out _);
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
            var point = new PointStruct
            {
                Id = QdrantMapping.PointId(record.Id),
                Vectors = VectorValidation.Prepare(record.Vector.Span, distance, $"vector of point '{record.Id}'", nameof(records)),
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
            payloadSelector: PayloadSelector(request.WithPayload),
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
            PayloadSelector(withPayload: true),
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

    /// <summary>The payload is always read, at least the id key: a point's string id lives there.</summary>
    private static WithPayloadSelector PayloadSelector(bool withPayload) =>
        withPayload ? true : new WithPayloadSelector { Include = new PayloadIncludeSelector { Fields = { QdrantMapping.IdKey } } };

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
