using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Lexical;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The embedded adapter of <see cref="IVectorStore"/>: no server. SQLite (WAL) is the source of truth for vectors and
/// payloads; every collection is loaded into memory on first use (vectors in one f32 arena, payloads as UTF-8 JSON for
/// answers and residual filters, payload indexes as posting lists). Search is exact with <c>TensorPrimitives</c> below
/// <see cref="EmbeddedVectorStoreOptions.IndexThreshold"/> points, and goes through a USearch HNSW index above it:
/// candidates (limit × oversampling, filtered inside the graph traversal) are re-scored exactly from the f32 arena.
/// With a tenant payload index (the agent id), every tenant with at least the threshold of points has an HNSW index of
/// its own, so that a tenant's search walks only its own graph (a search without a tenant condition visits every
/// partition and merges). A filter whose posting list is small is answered by exact search over that list; a filtered
/// HNSW search that finds fewer than the limit falls back to exact search, so filtering never loses results. Indexes
/// are saved beside the SQLite file and reused at the next start only when their recorded collection version matches;
/// otherwise (missing, stale after a crash, unreadable) it is rebuilt from SQLite, in the background by default, while
/// searches stay exact. During a bulk load (<see cref="BeginBulkLoad"/>, a migration) no index is built: points go to
/// SQLite and memory only (searches of a partition without an index are exact), and the partitions that need an index
/// get one build, in parallel, when the bulk load ends.
/// </summary>
public sealed partial class EmbeddedVectorStore : IVectorStore, IVectorBulkLoad, IDisposable
{
    private readonly EmbeddedVectorStoreOptions _options;
    private long _exactPartitionSearches;
    private readonly ILogger _logger;
    private readonly VectorDatabase _database;
    private readonly ConcurrentDictionary<string, CollectionState> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _catalog = new();
    private readonly CancellationTokenSource _shutdown = new();
    private int _disposed;

    /// <summary>How many partition searches were answered by exact search (small, selective, unindexed or short of hits).</summary>
    internal long ExactPartitionSearches => Interlocked.Read(ref _exactPartitionSearches);

    public EmbeddedVectorStore(IOptions<EmbeddedVectorStoreOptions> options, ILogger<EmbeddedVectorStore> logger)
        : this(options.Value, logger)
    {
    }

    public EmbeddedVectorStore(EmbeddedVectorStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _database = new VectorDatabase(options.ResolveDatabasePath());
    }

    public string DatabasePath => _database.Path;

    /// <summary>Where the HNSW index of a partition (a tenant value, or "" for a collection without tenants) is saved.</summary>
    public string IndexPath(string collection, string partition) =>
        $"{_database.Path}.{collection}.{(partition.Length == 0 ? "all" : "t" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(partition)))[..16])}.usearch";

    public Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default)
    {
        VectorValidation.Spec(spec);
        CollectionState state;
        lock (_catalog)
        {
            ThrowIfDisposed();
            state = LoadedOrNull(spec.Name) ?? CreateCollection(spec);
        }

        var info = Info(state);
        var recorded = EmbeddingModelIds.Recorded(state.EmbeddingModel, info.Count, info.Dimension);
        EmbeddingModelMismatchException.ThrowIfDifferent(spec.Name, recorded, spec.EmbeddingModel);
        VectorValidation.SameShape(info, spec);
        if (spec.EmbeddingModel is { } model && state.EmbeddingModel is null)
        {
            // A collection from before models were recorded adopts the model it is ensured with.
            RecordModel(state, model);
        }

        var missing = spec.PayloadIndexes.Where(p => !state.Indexes.ContainsKey(p.Key)).ToList();
        if (missing.Count > 0)
        {
            AddPayloadIndexes(state, missing);
        }

        if (spec.TextField is { } textField && !string.Equals(state.TextField, textField, StringComparison.Ordinal))
        {
            SetTextField(state, textField);
        }

        return Task.FromResult(Info(state));
    }

    public Task<VectorCollectionInfo> RecordEmbeddingModelAsync(string collection, string embeddingModel, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(embeddingModel);
        var state = State(collection);
        RecordModel(state, embeddingModel);
        return Task.FromResult(Info(state));
    }

    public Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        VectorValidation.CollectionName(collection);
        CollectionState? state;
        lock (_catalog)
        {
            ThrowIfDisposed();
            state = LoadedOrNull(collection);
        }

        return Task.FromResult(state is null ? null : Info(state));
    }

    public Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        VectorValidation.CollectionName(collection);
        lock (_catalog)
        {
            ThrowIfDisposed();
            var state = LoadedOrNull(collection);
            if (state is null)
            {
                return Task.FromResult(false);
            }

            state.Lock.EnterWriteLock();
            try
            {
                using (var lease = _database.Rent())
                using (var transaction = lease.Connection.BeginTransaction())
                {
                    Sql.Execute(transaction, "DELETE FROM vector_point WHERE collection = $c", ("$c", collection));
                    Sql.Execute(transaction, "DELETE FROM vector_collection WHERE name = $c", ("$c", collection));
                    TextIndex.Drop(transaction, collection);
                    transaction.Commit();
                }

                state.Deleted = true;
                foreach (var partition in state.Partitions.Values)
                {
                    partition.Index?.Dispose();
                    partition.Index = null;
                }

                _loaded.TryRemove(collection, out _);
                DeleteIndexFiles(collection);
            }
            finally
            {
                state.Lock.ExitWriteLock();
            }

            return Task.FromResult(true);
        }
    }

    public Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var state = State(collection);

        // Validate everything before writing anything; the last record of an id wins.
        var prepared = new Dictionary<string, (float[] Vector, JsonObject Payload, string Json)>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            if (record is null)
            {
                throw new ArgumentException("A record is null.", nameof(records));
            }

            VectorValidation.Id(record.Id, nameof(records));
            VectorValidation.Vector(record.Vector.Span, state.Dimension, collection, $"vector of point '{record.Id}'", nameof(records));
            VectorValidation.Payload(record.Payload, record.Id, nameof(records));
            var vector = VectorValidation.Prepare(record.Vector.Span, state.Distance, $"vector of point '{record.Id}'", nameof(records));
            var json = record.Payload.ToJsonString();
            prepared[record.Id] = (vector, JsonNode.Parse(json)!.AsObject(), json);
        }

        if (prepared.Count == 0)
        {
            return Task.CompletedTask;
        }

        List<string> startBuild;
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            var items = prepared.ToArray();
            var slots = new int[items.Length];
            var previous = new string?[items.Length];
            var allocated = new List<int>();
            for (var i = 0; i < items.Length; i++)
            {
                var existed = state.TryGetSlot(items[i].Key, out slots[i]);
                previous[i] = existed ? state.PartitionOf(slots[i]) : null;
                if (!existed)
                {
                    slots[i] = state.AllocateSlot();
                    allocated.Add(slots[i]);
                }
            }

            try
            {
                using var lease = _database.Rent();
                using var transaction = lease.Connection.BeginTransaction();
                using var command = Sql.Command(
                    transaction,
                    """
                    INSERT INTO vector_point(collection, id, slot, vector, payload) VALUES ($c, $id, $slot, $vector, $payload)
                    ON CONFLICT(collection, id) DO UPDATE SET vector = excluded.vector, payload = excluded.payload
                    """,
                    ("$c", collection));
                var id = command.Parameters.Add("$id", SqliteType.Text);
                var slot = command.Parameters.Add("$slot", SqliteType.Integer);
                var vector = command.Parameters.Add("$vector", SqliteType.Blob);
                var payload = command.Parameters.Add("$payload", SqliteType.Text);
                using var text = state.TextField is null ? null : new TextIndex.Writer(transaction, collection);
                for (var i = 0; i < items.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    id.Value = items[i].Key;
                    slot.Value = slots[i];
                    vector.Value = VectorDatabase.ToBlob(items[i].Value.Vector);
                    payload.Value = items[i].Value.Json;
                    command.ExecuteNonQuery();
                    text?.Write(slots[i], TextIndex.Terms(items[i].Value.Payload, state.TextField!));
                }

                BumpVersion(transaction, collection);
                transaction.Commit();
            }
            catch
            {
                for (var j = allocated.Count - 1; j >= 0; j--)
                {
                    state.ReleaseSlot(allocated[j]);
                }

                throw;
            }

            state.Version++;
            for (var i = 0; i < items.Length; i++)
            {
                state.Set(slots[i], items[i].Key, items[i].Value.Vector, items[i].Value.Payload, Encoding.UTF8.GetBytes(items[i].Value.Json));
            }

            ApplyToIndex(state, slots, previous, removed: false);
            startBuild = state.BulkLoading ? [] : PartitionsNeedingIndex(state);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }

        if (startBuild.Count > 0)
        {
            StartBuild(state, "a partition reached the index threshold", startBuild);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default)
    {
        var state = State(collection);
        VectorValidation.SearchRequest(request, state.Dimension, collection);
        var query = VectorValidation.Prepare(request.Vector.Span, state.Distance, "query vector", nameof(request));
        state.Lock.EnterReadLock();
        try
        {
            ThrowIfDeleted(state);
            var ranked = Rank(state, query, request.Limit, request.Filter);
            if (request.ScoreThreshold is { } threshold)
            {
                ranked.RemoveAll(r => r.Score < threshold);
            }

            var payloads = request.WithPayload ? Payloads(state, ranked.Select(r => r.Slot).ToList(), request.PayloadKeys) : null;
            var hits = new List<VectorSearchHit>(ranked.Count);
            foreach (var (slot, score) in ranked)
            {
                hits.Add(new VectorSearchHit(
                    state.IdOf(slot),
                    score,
                    payloads?.GetValueOrDefault(slot) ?? (request.WithPayload ? [] : null),
                    request.WithVectors ? state.VectorOf(slot).ToArray() : ReadOnlyMemory<float>.Empty));
            }

            return Task.FromResult<IReadOnlyList<VectorSearchHit>>(hits);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    public Task<IReadOnlyList<VectorSearchHit>> SearchTextAsync(string collection, VectorTextSearchRequest request, CancellationToken cancellationToken = default)
    {
        var state = State(collection);
        VectorValidation.TextSearchRequest(request, state.TextField, collection);
        var terms = LexicalText.QueryTerms(request.Text);
        if (terms.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<VectorSearchHit>>([]);
        }

        state.Lock.EnterReadLock();
        try
        {
            ThrowIfDeleted(state);
            // In-memory BM25 (TermIndex): the filter is applied while the postings are walked, by the in-memory predicate
            // when the filter has no residual (conditions on keys without an index), else by the slots the residual passes.
            var plan = state.Compile(request.Filter);
            if (plan.Nothing)
            {
                return Task.FromResult<IReadOnlyList<VectorSearchHit>>([]);
            }

            Func<int, bool> accept = plan.Residual.Count > 0 ? Matching(state, plan).ToHashSet().Contains : plan.Predicate;
            var ranked = state.Text.Search(terms, slot => state.IsLive(slot) && accept(slot), request.Limit, state.IdOf);
            var payloads = request.WithPayload ? Payloads(state, ranked.Select(r => r.Slot).ToList(), request.PayloadKeys) : null;
            return Task.FromResult<IReadOnlyList<VectorSearchHit>>([.. ranked.Select(r => new VectorSearchHit(
                state.IdOf(r.Slot),
                (float)r.Score,
                payloads?.GetValueOrDefault(r.Slot) ?? (request.WithPayload ? [] : null),
                ReadOnlyMemory<float>.Empty))]);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    public Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default)
    {
        VectorValidation.Ids(ids);
        var state = State(collection);
        state.Lock.EnterReadLock();
        try
        {
            ThrowIfDeleted(state);
            return Task.FromResult<IReadOnlyList<VectorRecord>>(ReadRecords(state, ids.Distinct(StringComparer.Ordinal), withVectors));
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    public Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        VectorValidation.Ids(ids);
        var state = State(collection);
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            var slots = ids.Distinct(StringComparer.Ordinal)
                .Select(id => state.TryGetSlot(id, out var slot) ? slot : -1)
                .Where(slot => slot >= 0)
                .ToList();
            return Task.FromResult(DeleteSlots(state, slots));
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    public Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        VectorValidation.Filter(filter, nameof(filter));
        var state = State(collection);
        if (filter.IsEmpty)
        {
            return Task.FromResult(0L);
        }

        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            return Task.FromResult((long)DeleteSlots(state, Matching(state, state.Compile(filter))));
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    public Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default)
    {
        VectorValidation.ScrollRequest(request);
        var state = State(collection);
        List<string> ids;
        List<VectorRecord> records;
        state.Lock.EnterReadLock();
        try
        {
            ThrowIfDeleted(state);
            var plan = state.Compile(request.Filter);
            if (plan.Everything)
            {
                using var lease = _database.Rent();
                using var command = Sql.Command(
                    lease.Connection,
                    "SELECT id FROM vector_point WHERE collection = $c AND id > $cursor ORDER BY id LIMIT $limit",
                    ("$c", collection), ("$cursor", request.Cursor ?? string.Empty), ("$limit", request.Limit + 1));
                using var reader = command.ExecuteReader();
                ids = [];
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                }
            }
            else
            {
                ids = [.. Matching(state, plan)
                    .Select(state.IdOf)
                    .Where(id => request.Cursor is null || string.CompareOrdinal(id, request.Cursor) > 0)
                    .Order(StringComparer.Ordinal)
                    .Take(request.Limit + 1)];
            }

            records = ReadRecords(state, ids.Take(request.Limit), request.WithVectors, request.WithPayload, request.PayloadKeys);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }

        var more = ids.Count > request.Limit;
        return Task.FromResult(new VectorScrollPage(records, more ? ids[request.Limit - 1] : null));
    }

    public Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default)
    {
        VectorValidation.Filter(filter, nameof(filter));
        var state = State(collection);
        state.Lock.EnterReadLock();
        try
        {
            ThrowIfDeleted(state);
            var plan = state.Compile(filter);
            return Task.FromResult(plan.Everything ? state.Count : (long)Matching(state, plan).Count);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    /// <summary>The HNSW index of a collection: whether it is ready, was loaded from disk, how long it took to build.</summary>
    public VectorIndexStatus GetIndexStatus(string collection)
    {
        var state = State(collection);
        state.Lock.EnterReadLock();
        try
        {
            var ready = state.Partitions.Values.Where(p => p.Ready).ToList();
            var missing = state.Partitions.Values.Any(p => p.Index is null && Qualifies(p));
            var status = state.Building ? VectorIndexState.Building
                : ready.Count > 0 && !missing ? VectorIndexState.Ready
                : VectorIndexState.None;
            var builds = ready.Where(p => p.LastBuildDuration is not null).ToList();
            return new VectorIndexStatus(
                collection,
                state.Count,
                status,
                ready.Sum(p => p.Index!.Count),
                ready.Count,
                ready.Count > 0 && ready.All(p => p.LoadedFromDisk),
                ready.Count > 0 && state.IndexVersion == state.Version,
                builds.Count > 0 ? builds.Sum(p => p.LastBuildDuration!.Value.TotalSeconds) : null,
                ready.Sum(p => p.Index!.MemoryUsage),
                [.. ready.Select(p => IndexPath(collection, p.Name))]);
        }
        finally
        {
            state.Lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Starts a bulk load into the collection: until the handle is disposed, upserts write SQLite and memory but build no
    /// HNSW index (a partition that reaches <see cref="EmbeddedVectorStoreOptions.IndexThreshold"/> is searched exactly
    /// meanwhile, and a build that was running stops); an index that is ready stays and is kept up to date. When the last
    /// bulk load of the collection ends, every partition that needs an index gets one build (in the background when
    /// <see cref="EmbeddedVectorStoreOptions.BuildIndexInBackground"/>): one parallel build instead of one insertion per
    /// upsert into a growing graph under the write lock.
    /// </summary>
    public IDisposable BeginBulkLoad(string collection)
    {
        var state = State(collection);
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            state.EnterBulkLoad();
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }

        return new BulkLoad(this, state);
    }

    /// <summary>Completes when no index build of the collection is running.</summary>
    public async Task WaitForIndexAsync(string collection, CancellationToken cancellationToken = default)
    {
        var state = State(collection);
        while (state.BuildTask is { IsCompleted: false } task)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The names of the collections in the SQLite file, sorted by name.</summary>
    public IReadOnlyList<string> CollectionNames()
    {
        ThrowIfDisposed();
        using var lease = _database.Rent();
        using var command = Sql.Command(lease.Connection, "SELECT name FROM vector_collection ORDER BY name");
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Drops the collection's index and builds it again from the in-memory vectors (loaded from SQLite).</summary>
    public async Task RebuildIndexAsync(string collection, CancellationToken cancellationToken = default)
    {
        var state = State(collection);
        await WaitForIndexAsync(collection, cancellationToken).ConfigureAwait(false);
        List<string> rebuild;
        state.Lock.EnterWriteLock();
        try
        {
            foreach (var partition in state.Partitions.Values)
            {
                partition.Index?.Dispose();
                partition.Index = null;
                partition.LoadedFromDisk = false;
            }

            state.IndexVersion = null;
            rebuild = PartitionsNeedingIndex(state);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }

        StartBuild(state, "a rebuild was requested", rebuild);

        await WaitForIndexAsync(collection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Saves every index that changed since it was last saved.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        foreach (var state in _loaded.Values)
        {
            SaveIndex(state);
        }

        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown.Cancel();
        foreach (var state in _loaded.Values)
        {
            try
            {
                state.BuildTask?.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
                // A cancelled or failed build leaves no index; it was logged.
            }

            if (_options.SaveIndexOnDispose)
            {
                SaveIndex(state);
            }

            state.Dispose();
        }

        _loaded.Clear();
        _database.Dispose();
        _shutdown.Dispose();
    }

    private void EndBulkLoad(CollectionState state)
    {
        if (_disposed != 0)
        {
            // Nothing to build for a closed store: the next start builds the indexes the file lacks.
            return;
        }

        List<string> build;
        state.Lock.EnterWriteLock();
        try
        {
            if (!state.ExitBulkLoad() || state.Deleted)
            {
                return;
            }

            build = PartitionsNeedingIndex(state);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }

        StartBuild(state, "a bulk load ended", build);
    }

    private static void BumpVersion(SqliteTransaction transaction, string collection) =>
        Sql.Execute(transaction, "UPDATE vector_collection SET version = version + 1 WHERE name = $c", ("$c", collection));

    private static void ThrowIfDeleted(CollectionState state)
    {
        ObjectDisposedException.ThrowIf(state.Closed, typeof(EmbeddedVectorStore));
        if (state.Deleted)
        {
            throw new VectorCollectionNotFoundException(state.Name);
        }
    }

    private static VectorCollectionInfo Info(CollectionState state) =>
        new(state.Name, state.Dimension, state.Distance, state.Count, new Dictionary<string, PayloadIndexKind>(state.Indexes, StringComparer.Ordinal))
        {
            TextField = state.TextField,
            EmbeddingModel = state.EmbeddingModel,
        };

    private static string IndexesJson(IReadOnlyDictionary<string, PayloadIndexKind> indexes) =>
        JsonSerializer.Serialize(indexes.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    /// <summary>A partition large enough for an HNSW index.</summary>
    private bool Qualifies(Partition partition) =>
        partition.Slots.Count > 0 && partition.Slots.Count >= _options.IndexThreshold;

    private List<string> PartitionsNeedingIndex(CollectionState state) =>
        [.. state.Partitions.Values.Where(p => p.Index is null && !p.Building && Qualifies(p)).Select(p => p.Name)];

    private void DeleteIndexFiles(string collection)
    {
        var directory = Path.GetDirectoryName(_database.Path)!;
        foreach (var file in Directory.EnumerateFiles(directory, $"{Path.GetFileName(_database.Path)}.{collection}.*.usearch"))
        {
            File.Delete(file);
        }
    }

    private CollectionState State(string collection)
    {
        VectorValidation.CollectionName(collection);
        if (_loaded.TryGetValue(collection, out var state) && !state.Deleted)
        {
            return state;
        }

        lock (_catalog)
        {
            ThrowIfDisposed();
            return LoadedOrNull(collection) ?? throw new VectorCollectionNotFoundException(collection);
        }
    }

    /// <summary>The loaded collection, loading it from SQLite (and preparing its index) on first use. Call under <see cref="_catalog"/>.</summary>
    private CollectionState? LoadedOrNull(string collection)
    {
        if (_loaded.TryGetValue(collection, out var state))
        {
            return state;
        }

        var loaded = Load(collection);
        if (loaded is null)
        {
            return null;
        }

        _loaded[collection] = loaded;
        PrepareIndex(loaded);
        return loaded;
    }

    private CollectionState CreateCollection(VectorCollectionSpec spec)
    {
        using (var lease = _database.Rent())
        {
            using var command = Sql.Command(
                lease.Connection,
                """
                INSERT INTO vector_collection(name, dimension, distance, payload_indexes, version, created_at, text_field, embedding_model)
                VALUES ($name, $dimension, $distance, $indexes, 0, $now, $text, $model)
                """,
                ("$text", (object?)spec.TextField ?? DBNull.Value),
                ("$model", (object?)spec.EmbeddingModel ?? DBNull.Value),
                ("$name", spec.Name),
                ("$dimension", spec.Dimension),
                ("$distance", spec.Distance.ToString()),
                ("$indexes", IndexesJson(spec.PayloadIndexes)),
                ("$now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)));
            command.ExecuteNonQuery();
            using var transaction = lease.Connection.BeginTransaction();
            TextIndex.Drop(transaction, spec.Name);
            if (spec.TextField is not null)
            {
                TextIndex.Create(transaction, spec.Name);
            }

            transaction.Commit();
        }

        DeleteIndexFiles(spec.Name);
        var state = new CollectionState(spec.Name, spec.Dimension, spec.Distance, spec.PayloadIndexes) { TextField = spec.TextField, EmbeddingModel = spec.EmbeddingModel };
        _loaded[spec.Name] = state;
        return state;
    }

    private CollectionState? Load(string collection)
    {
        var started = Stopwatch.GetTimestamp();
        using var lease = _database.Rent();
        CollectionState state;
        using (var command = Sql.Command(
            lease.Connection,
            "SELECT dimension, distance, payload_indexes, version, index_version, text_field, embedding_model FROM vector_collection WHERE name = $c",
            ("$c", collection)))
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return null;
            }

            var indexes = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2))!
                .ToDictionary(p => p.Key, p => Enum.Parse<PayloadIndexKind>(p.Value), StringComparer.Ordinal);
            state = new CollectionState(collection, reader.GetInt32(0), Enum.Parse<VectorDistance>(reader.GetString(1)), indexes)
            {
                Version = reader.GetInt64(3),
                IndexVersion = reader.IsDBNull(4) ? null : reader.GetInt64(4),
                TextField = reader.IsDBNull(5) ? null : reader.GetString(5),
                EmbeddingModel = reader.IsDBNull(6) ? null : reader.GetString(6),
            };
        }

        int points;
        using (var command = Sql.Command(
            lease.Connection, "SELECT count(*), coalesce(max(slot) + 1, 0) FROM vector_point WHERE collection = $c", ("$c", collection)))
        using (var reader = command.ExecuteReader())
        {
            // Every array sized once for the points there are: growing them by doubling copied the vectors about twice
            // over (and touched twice the memory) on a collection of 100k points.
            reader.Read();
            points = reader.GetInt32(0);
            state.Reserve(points, reader.GetInt32(1));
        }

        if (points < TwoThreadLoadPoints)
        {
            VectorDatabase.ReadPoints(lease.Connection, collection, state.Dimension, (slot, id, vector, payload) =>
            {
                state.StoreLoaded(slot, id, vector, payload);
                state.IndexLoaded(slot, state.IndexedFields(payload));
            });
        }
        else
        {
            LoadPoints(lease.Connection, state);
        }

        state.RebuildFreeList();
        LogLoaded(collection, state.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return state;
    }

    /// <summary>Points from which a collection loads on two threads (<see cref="LoadPoints"/>); a smaller one loads on the calling thread alone.</summary>
    internal const int TwoThreadLoadPoints = 4096;

    /// <summary>
    /// Reads every stored point into <paramref name="state"/> on two threads: this one reads the rows and stores ids,
    /// payloads and vectors, another parses the payloads and builds the payload indexes, keyword terms and partitions, in
    /// chunks handed over as they are read (the two halves touch different structures of the state). A host starting on
    /// 100k memories waits for this before it listens.
    /// </summary>
    private static void LoadPoints(SqliteConnection connection, CollectionState state)
    {
        const int Chunk = 512;
        using var chunks = new System.Collections.Concurrent.BlockingCollection<(int Slot, byte[] Payload)[]>(boundedCapacity: 16);
        using var failed = new CancellationTokenSource();
        var indexing = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    foreach (var chunk in chunks.GetConsumingEnumerable())
                    {
                        foreach (var (slot, payload) in chunk)
                        {
                            state.IndexLoaded(slot, state.IndexedFields(payload));
                        }
                    }
                }
                catch
                {
                    failed.Cancel();
                    throw;
                }
            },
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var pending = new List<(int Slot, byte[] Payload)>(Chunk);
        Exception? readFailure = null;
        try
        {
            VectorDatabase.ReadPoints(connection, state.Name, state.Dimension, (slot, id, vector, payload) =>
            {
                state.StoreLoaded(slot, id, vector, payload);
                pending.Add((slot, payload));
                if (pending.Count == Chunk)
                {
                    chunks.Add([.. pending], failed.Token);
                    pending.Clear();
                }
            });

            if (pending.Count > 0)
            {
                chunks.Add([.. pending], failed.Token);
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested)
        {
            // The indexing thread failed: its exception is the one to report (below).
        }
        catch (Exception ex)
        {
            readFailure = ex;
        }
        finally
        {
            chunks.CompleteAdding();
        }

        // The indexing thread ends before the chunks' collection is disposed, whichever side failed.
        try
        {
            indexing.GetAwaiter().GetResult();
        }
        catch (Exception) when (readFailure is not null)
        {
            // The read failed first: that is the error to report.
        }

        if (readFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readFailure);
        }
    }

    private void RecordModel(CollectionState state, string model)
    {
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            using var lease = _database.Rent();
            Sql.Execute(lease.Connection, "UPDATE vector_collection SET embedding_model = $m WHERE name = $c", ("$m", model), ("$c", state.Name));
            state.EmbeddingModel = model;
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    private void AddPayloadIndexes(CollectionState state, List<KeyValuePair<string, PayloadIndexKind>> missing)
    {
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            var all = new Dictionary<string, PayloadIndexKind>(state.Indexes, StringComparer.Ordinal);
            foreach (var (key, kind) in missing)
            {
                all[key] = kind;
            }

            using var lease = _database.Rent();
            Sql.Execute(
                lease.Connection, "UPDATE vector_collection SET payload_indexes = $indexes WHERE name = $c", ("$indexes", IndexesJson(all)), ("$c", state.Name));
            var payloads = AllPayloads(lease.Connection, state.Name);
            foreach (var (key, kind) in missing)
            {
                state.AddPayloadIndex(key, kind, payloads);
            }
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Indexes the collection's stored payloads under a new text field, in one transaction: how a collection created
    /// before keyword search (or one whose text field changes) gets its FTS5 table, from the text already in its payloads.
    /// </summary>
    private void SetTextField(CollectionState state, string field)
    {
        state.Lock.EnterWriteLock();
        try
        {
            ThrowIfDeleted(state);
            using var lease = _database.Rent();
            using var transaction = lease.Connection.BeginTransaction();
            TextIndex.Create(transaction, state.Name);
            var indexed = TextIndex.Rebuild(transaction, state.Name, field);
            Sql.Execute(transaction, "UPDATE vector_collection SET text_field = $f WHERE name = $c", ("$f", field), ("$c", state.Name));
            transaction.Commit();
            state.TextField = field;
            state.RebuildText(AllPayloads(lease.Connection, state.Name));
            LogTextIndexed(state.Name, field, indexed);
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    private static List<(int Slot, JsonObject Payload)> AllPayloads(SqliteConnection connection, string collection)
    {
        using var command = Sql.Command(connection, "SELECT slot, payload FROM vector_point WHERE collection = $c", ("$c", collection));
        using var reader = command.ExecuteReader();
        var result = new List<(int, JsonObject)>();
        while (reader.Read())
        {
            result.Add((reader.GetInt32(0), JsonNode.Parse(reader.GetString(1))!.AsObject()));
        }

        return result;
    }

    /// <summary>Slots passing the whole filter: the in-memory part, then the residual on the payloads. Call under the lock.</summary>
    private List<int> Matching(CollectionState state, FilterPlan plan)
    {
        var candidates = state.Candidates(plan);
        if (plan.Residual.Count == 0 || candidates.Count == 0)
        {
            return candidates;
        }

        var payloads = Payloads(state, candidates);
        return candidates.Where(slot => payloads.TryGetValue(slot, out var payload)
            && plan.Residual.All(r => PayloadValues.Matches(payload, r.Condition) != r.Negated)).ToList();
    }

    /// <summary>The payloads of these live slots, from memory, whole or only <paramref name="keys"/> (call under the state's lock).</summary>
    private static Dictionary<int, JsonObject> Payloads(CollectionState state, List<int> slots, IReadOnlyList<string>? keys = null)
    {
        var result = new Dictionary<int, JsonObject>(slots.Count);
        foreach (var slot in slots)
        {
            result[slot] = ParsePayload(state.PayloadOf(slot), keys);
        }

        return result;
    }

    /// <summary>
    /// A stored payload as a JSON object: whole when <paramref name="keys"/> is null, else only those top-level keys. The
    /// other values are skipped over, never decoded: the kept properties are copied byte for byte into one small document,
    /// so their values read exactly as in the whole payload.
    /// </summary>
    private static JsonObject ParsePayload(byte[] utf8, IReadOnlyList<string>? keys)
    {
        if (keys is null)
        {
            return JsonNode.Parse(utf8)!.AsObject();
        }

        var kept = System.Buffers.ArrayPool<byte>.Shared.Rent(utf8.Length + 2);
        try
        {
            var length = 0;
            kept[length++] = (byte)'{';
            var reader = new Utf8JsonReader(utf8);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var start = (int)reader.TokenStartIndex;
                var wanted = false;
                foreach (var key in keys)
                {
                    if (reader.ValueTextEquals(key))
                    {
                        wanted = true;
                        break;
                    }
                }

                reader.Read();
                reader.Skip();
                if (wanted)
                {
                    // "name":value as stored.
                    if (length > 1)
                    {
                        kept[length++] = (byte)',';
                    }

                    var end = (int)reader.BytesConsumed;
                    utf8.AsSpan(start, end - start).CopyTo(kept.AsSpan(length));
                    length += end - start;
                }
            }

            kept[length++] = (byte)'}';
            return JsonNode.Parse(kept.AsSpan(0, length))!.AsObject();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(kept);
        }
    }

    /// <summary>
    /// The live points of these ids, in their order (ids not held are left out), from memory: the payload as written and the
    /// vector as stored, the same bytes SQLite holds (call under the state's lock).
    /// </summary>
    private static List<VectorRecord> ReadRecords(
        CollectionState state, IEnumerable<string> ids, bool withVectors, bool withPayload = true, IReadOnlyList<string>? payloadKeys = null)
    {
        var result = new List<VectorRecord>();
        foreach (var id in ids)
        {
            if (state.TryGetSlot(id, out var slot) && state.IsLive(slot))
            {
                result.Add(new VectorRecord(
                    id,
                    withVectors ? state.VectorOf(slot).ToArray() : ReadOnlyMemory<float>.Empty,
                    withPayload ? ParsePayload(state.PayloadOf(slot), payloadKeys) : []));
            }
        }

        return result;
    }

    /// <summary>Deletes points by slot in SQLite, then in memory and in the index. Call under the write lock.</summary>
    private int DeleteSlots(CollectionState state, List<int> slots)
    {
        if (slots.Count == 0)
        {
            return 0;
        }

        using (var lease = _database.Rent())
        using (var transaction = lease.Connection.BeginTransaction())
        {
            using var command = Sql.Command(transaction, "DELETE FROM vector_point WHERE collection = $c AND id = $id", ("$c", state.Name));
            var id = command.Parameters.Add("$id", SqliteType.Text);
            using var text = state.TextField is null ? null : new TextIndex.Writer(transaction, state.Name);
            foreach (var slot in slots)
            {
                id.Value = state.IdOf(slot);
                command.ExecuteNonQuery();
                text?.Remove(slot);
            }

            BumpVersion(transaction, state.Name);
            transaction.Commit();
        }

        // The deleted payloads' pages are zeroed in the file; their older copies go with the log.
        _database.Checkpoint();
        state.Version++;
        var previous = slots.Select(state.PartitionOf).ToArray();
        foreach (var slot in slots)
        {
            state.Remove(slot);
        }

        ApplyToIndex(state, [.. slots], previous, removed: true);
        return slots.Count;
    }

    /// <summary>
    /// Mirrors changed slots into the HNSW indexes of their old and new partitions (or records them in the dirty set of a
    /// partition whose index is being built). <paramref name="previous"/> is each slot's partition before the change
    /// (null for a new point). Call under the write lock.
    /// </summary>
    private static void ApplyToIndex(CollectionState state, int[] slots, string?[] previous, bool removed)
    {
        var adds = new Dictionary<Partition, List<int>>();
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = slots[i];
            if (previous[i] is { } old && state.Partitions.TryGetValue(old, out var before))
            {
                if (before.Dirty is { } dirty)
                {
                    dirty.Add(slot);
                }
                else
                {
                    before.Index?.Remove((ulong)slot);
                }
            }

            if (removed || !state.IsLive(slot))
            {
                continue;
            }

            var after = state.PartitionFor(state.PartitionOf(slot));
            if (after.Dirty is { } afterDirty)
            {
                afterDirty.Add(slot);
            }
            else if (after.Index is not null)
            {
                if (!adds.TryGetValue(after, out var list))
                {
                    adds[after] = list = [];
                }

                list.Add(slot);
            }
        }

        foreach (var (partition, list) in adds)
        {
            AddAll(state, partition.Index!, list);
        }
    }

    private static void AddAll(CollectionState state, UsearchIndex index, List<int> slots)
    {
        index.Reserve(index.Count + slots.Count);
        if (slots.Count < 64)
        {
            foreach (var slot in slots)
            {
                index.Add((ulong)slot, state.VectorOf(slot));
            }
        }
        else
        {
            Parallel.ForEach(slots, new ParallelOptions { MaxDegreeOfParallelism = index.Concurrency }, slot =>
                index.Add((ulong)slot, state.VectorOf(slot)));
        }
    }

    /// <summary>The best (slot, score) pairs for a query that passes the filter. Call under the read lock.</summary>
    private List<(int Slot, float Score)> Rank(CollectionState state, float[] query, int limit, VectorFilter? filter)
    {
        var plan = state.Compile(filter);
        if (plan.Nothing || state.Count == 0)
        {
            return [];
        }

        // Conditions on keys without an index: the passing slots are computed first (from payloads), then searched.
        var allowed = plan.Residual.Count > 0 ? Matching(state, plan) : null;
        Func<int, bool>? predicate = allowed is not null ? allowed.ToHashSet().Contains : plan.Everything ? null : plan.Predicate;
        var top = new TopK(limit);
        var partitions = TargetPartitions(state, filter);
        foreach (var partition in partitions)
        {
            SearchPartition(state, partition, partitions.Count > 1, query, limit, plan, allowed, predicate, top);
        }

        return top.Drain();
    }

    /// <summary>The partitions a filter can match: the tenants it names, else all of them.</summary>
    private static List<Partition> TargetPartitions(CollectionState state, VectorFilter? filter)
    {
        if (state.TenantKey is { } key && filter is not null)
        {
            foreach (var condition in filter.Must)
            {
                IEnumerable<string>? tenants = condition switch
                {
                    MatchCondition match when match.Key == key => [match.Value],
                    MatchAnyCondition any when any.Key == key => any.Values.Distinct(StringComparer.Ordinal),
                    _ => null,
                };
                if (tenants is not null)
                {
                    // Points whose tenant value is not one string live in the partition "", which is searched too.
                    return [.. tenants.Append(string.Empty).Distinct(StringComparer.Ordinal)
                        .Select(t => state.Partitions.GetValueOrDefault(t)).OfType<Partition>().Where(p => p.Slots.Count > 0)];
                }
            }
        }

        return [.. state.Partitions.Values.Where(p => p.Slots.Count > 0)];
    }

    private void SearchPartition(
        CollectionState state, Partition partition, bool several, float[] query, int limit, FilterPlan plan,
        List<int>? allowed, Func<int, bool>? predicate, TopK top)
    {
        var size = partition.Slots.Count;
        var estimate = Math.Min(size, allowed?.Count ?? state.EstimateCandidates(plan));
        if (partition.Ready && estimate > _options.IndexThreshold && allowed is null && predicate is not null
            && state.EstimatePassing(partition, predicate) is { } passing && passing * 20 <= size)
        {
            // A filtered graph search walks past every point the filter refuses: when at most 1 in 20 passes (a narrow
            // range, such as a time window holding few points) it walks most of the graph, then often falls back to the
            // exact search anyway. A wider filter stays on the graph, which is cheaper than scanning the partition.
            estimate = Math.Min(estimate, passing);
        }

        if (partition.Ready && estimate > _options.IndexThreshold)
        {
            var hits = HnswTopK(state, partition.Index!, size, query, limit, predicate);
            if (hits.Count >= Math.Min(limit, size))
            {
                foreach (var (slot, score) in hits)
                {
                    top.Add(slot, score);
                }

                return;
            }
        }

        // Small partition, selective filter, no index yet, or too few filtered HNSW hits: exact search, which is complete.
        Interlocked.Increment(ref _exactPartitionSearches);
        bool InPartition(int slot) => !several || state.PartitionOf(slot) == partition.Name;
        if (allowed is not null)
        {
            state.ExactTopK(query, allowed.Where(InPartition), null, top);
        }
        else if (plan.Everything)
        {
            state.ExactTopK(query, partition.Slots, null, top);
        }
        else if (plan.Driver is { } driver && driver.Count < size)
        {
            state.ExactTopK(query, state.Candidates(plan).Where(InPartition), null, top);
        }
        else
        {
            state.ExactTopK(query, partition.Slots, predicate, top);
        }
    }

    private List<(int Slot, float Score)> HnswTopK(
        CollectionState state, UsearchIndex index, int size, float[] query, int limit, Func<int, bool>? predicate)
    {
        var count = Math.Min(Math.Max(limit, (int)Math.Ceiling(limit * _options.Oversampling)), Math.Max(limit, size));
        Span<ulong> keys = count <= 256 ? stackalloc ulong[count] : new ulong[count];
        Span<float> distances = count <= 256 ? stackalloc float[count] : new float[count];
        var found = predicate is null
            ? index.Search(query, keys, distances)
            : index.FilteredSearch(query, key => predicate((int)key), keys, distances);
        var top = new TopK(limit);
        for (var i = 0; i < found; i++)
        {
            var slot = (int)keys[i];
            if (state.IsLive(slot))
            {
                // Re-score from the f32 arena: exact scores, and the right order for an f16 graph.
                top.Add(slot, state.Score(query, slot));
            }
        }

        return top.Drain();
    }

    /// <summary>After a load: reuse saved partition indexes when they match the collection version, build the others.</summary>
    private void PrepareIndex(CollectionState state)
    {
        var qualifying = state.Partitions.Values.Where(Qualifies).ToList();
        if (qualifying.Count == 0)
        {
            return;
        }

        var current = state.IndexVersion == state.Version;
        var build = new List<string>();
        var reason = current ? "no usable index file"
            : $"the index files are stale (saved at version {state.IndexVersion?.ToString(CultureInfo.InvariantCulture) ?? "none"}, collection at {state.Version})";
        foreach (var partition in qualifying)
        {
            var path = IndexPath(state.Name, partition.Name);
            if (current && File.Exists(path))
            {
                try
                {
                    var index = UsearchIndex.Load(path, state.Dimension, _options.ExpansionSearch);
                    if (index.Count == partition.Slots.Count)
                    {
                        partition.Index = index;
                        partition.LoadedFromDisk = true;
                        LogIndexLoaded(state.Name, index.Count, path);
                        continue;
                    }

                    reason = $"an index file holds {index.Count} points, its partition {partition.Slots.Count}";
                    index.Dispose();
                }
                catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException)
                {
                    reason = $"an index file could not be read ({ex.Message})";
                }
            }

            build.Add(partition.Name);
        }

        if (build.Count > 0)
        {
            StartBuild(state, reason, build);
        }
    }

    private void StartBuild(CollectionState state, string reason, IReadOnlyCollection<string> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        var jobs = new List<(Partition Partition, int[] Slots)>();
        state.Lock.EnterWriteLock();
        try
        {
            if (state.Closed || state.Deleted || state.BulkLoading)
            {
                // A bulk load starts the builds it deferred when it ends.
                return;
            }

            foreach (var name in partitions)
            {
                if (state.Partitions.TryGetValue(name, out var partition) && partition.Index is null && !partition.Building && partition.Slots.Count > 0)
                {
                    partition.Dirty = [];
                    jobs.Add((partition, [.. partition.Slots]));
                }
            }

            if (jobs.Count == 0)
            {
                return;
            }

            LogBuilding(state.Name, jobs.Sum(j => j.Slots.Length), jobs.Count, reason);
            if (_options.BuildIndexInBackground)
            {
                var running = state.BuildTask ?? Task.CompletedTask;
                var next = Task.Run(() => BuildAll(state, jobs), CancellationToken.None);
                state.BuildTask = Task.WhenAll(running, next);
                return;
            }
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }

        BuildAll(state, jobs);
    }

    private void BuildAll(CollectionState state, List<(Partition Partition, int[] Slots)> jobs)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var (partition, slots) in jobs)
        {
            Build(state, partition, slots);
        }

        LogBuilt(state.Name, jobs.Sum(j => j.Slots.Length), jobs.Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        SaveIndex(state);
    }

    private void Build(CollectionState state, Partition partition, int[] slots)
    {
        var started = Stopwatch.GetTimestamp();
        UsearchIndex? index = null;
        try
        {
            index = UsearchIndex.Create(state.Dimension, GraphScalar(state.Distance, _options.IndexScalar), _options.Connectivity, _options.ExpansionAdd, _options.ExpansionSearch);
            index.Reserve(slots.Length + 1024);
            const int Chunk = 4096;
            var buffer = new float[Chunk * state.Dimension];
            var live = new bool[Chunk];
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = index.Concurrency, CancellationToken = _shutdown.Token };
            for (var offset = 0; offset < slots.Length; offset += Chunk)
            {
                if (state.BulkLoading)
                {
                    // A bulk load began (e.g. a migration resumed while the index of its first part was building): this
                    // build would miss its points, so it stops and starts again, once, when the bulk load ends.
                    ClearBuilding(state, partition);
                    return;
                }

                var count = Math.Min(Chunk, slots.Length - offset);
                state.Lock.EnterReadLock();
                try
                {
                    for (var i = 0; i < count; i++)
                    {
                        var slot = slots[offset + i];
                        live[i] = state.IsLive(slot) && state.PartitionOf(slot) == partition.Name;
                        if (live[i])
                        {
                            state.VectorOf(slot).CopyTo(buffer.AsSpan(i * state.Dimension, state.Dimension));
                        }
                    }
                }
                finally
                {
                    state.Lock.ExitReadLock();
                }

                var batchOffset = offset;
                var building = index;
                Parallel.For(0, count, parallel, i =>
                {
                    if (live[i])
                    {
                        building.Add((ulong)slots[batchOffset + i], buffer.AsSpan(i * state.Dimension, state.Dimension));
                    }
                });
            }

            state.Lock.EnterWriteLock();
            try
            {
                if (state.Deleted || _shutdown.IsCancellationRequested)
                {
                    partition.Dirty = null;
                    return;
                }

                // Replay what changed while building: the slots touched since the snapshot, in their current state.
                var replay = new List<int>();
                foreach (var slot in partition.Dirty ?? [])
                {
                    if (index.Contains((ulong)slot))
                    {
                        index.Remove((ulong)slot);
                    }

                    if (state.IsLive(slot) && state.PartitionOf(slot) == partition.Name)
                    {
                        replay.Add(slot);
                    }
                }

                AddAll(state, index, replay);
                partition.Index = index;
                index = null;
                partition.Dirty = null;
                partition.LoadedFromDisk = false;
                partition.LastBuildDuration = Stopwatch.GetElapsedTime(started);
                state.IndexVersion = null;
            }
            finally
            {
                state.Lock.ExitWriteLock();
            }
        }
        catch (OperationCanceledException)
        {
            ClearBuilding(state, partition);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or AggregateException or OutOfMemoryException)
        {
            LogBuildFailed(ex, state.Name);
            ClearBuilding(state, partition);
        }
        finally
        {
            index?.Dispose();
        }
    }

    /// <summary>
    /// The scalar type of a new graph: the configured one, except that an I8 graph (components × 127, clamped to ±127)
    /// only holds unit vectors, so a dot-product collection, whose vectors keep their length, gets an F16 graph instead.
    /// </summary>
    internal static HnswScalar GraphScalar(VectorDistance distance, HnswScalar configured) =>
        configured == HnswScalar.I8 && distance != VectorDistance.Cosine ? HnswScalar.F16 : configured;

    private static void ClearBuilding(CollectionState state, Partition partition)
    {
        state.Lock.EnterWriteLock();
        try
        {
            partition.Dirty = null;
        }
        finally
        {
            state.Lock.ExitWriteLock();
        }
    }

    /// <summary>Saves the indexes if anything changed since the last save, then records the collection version they match.</summary>
    private void SaveIndex(CollectionState state)
    {
        lock (state.SaveGate)
        {
            state.Lock.EnterReadLock();
            try
            {
                var ready = state.Partitions.Values.Where(p => p.Ready).ToList();
                if (state.Closed || state.Deleted || state.Building || ready.Count == 0 || state.IndexVersion == state.Version)
                {
                    return;
                }

                var path = string.Empty;
                try
                {
                    foreach (var partition in ready)
                    {
                        path = IndexPath(state.Name, partition.Name);
                        partition.Index!.Save(path);
                    }

                    using var lease = _database.Rent();
                    Sql.Execute(
                        lease.Connection,
                        "UPDATE vector_collection SET index_version = $v WHERE name = $c",
                        ("$v", state.Version),
                        ("$c", state.Name));
                    state.IndexVersion = state.Version;
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or SqliteException)
                {
                    // The indexes are only a cache of SQLite: a failed save costs a rebuild at the next start.
                    LogSaveFailed(ex, state.Name, path);
                }
            }
            finally
            {
                state.Lock.ExitReadLock();
            }
        }
    }

    /// <summary>The handle of <see cref="BeginBulkLoad"/>: ends the bulk load once.</summary>
    private sealed class BulkLoad(EmbeddedVectorStore store, CollectionState state) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                store.EndBulkLoad(state);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Vector collection {Collection}: keyword index of payload field {Field} built from {Points} stored payloads")]
    private partial void LogTextIndexed(string collection, string field, int points);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vector collection {Collection}: {Points} points loaded from SQLite in {Milliseconds:0} ms")]
    private partial void LogLoaded(string collection, int points, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vector collection {Collection}: HNSW index of {Points} points loaded from {Path}")]
    private partial void LogIndexLoaded(string collection, int points, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vector collection {Collection}: building HNSW indexes of {Points} points in {Partitions} partitions: {Reason}")]
    private partial void LogBuilding(string collection, int points, int partitions, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vector collection {Collection}: HNSW indexes of {Points} points in {Partitions} partitions built in {Seconds:0.0} s")]
    private partial void LogBuilt(string collection, int points, int partitions, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Vector collection {Collection}: building the HNSW index failed; searches stay exact")]
    private partial void LogBuildFailed(Exception exception, string collection);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vector collection {Collection}: saving the HNSW index to {Path} failed")]
    private partial void LogSaveFailed(Exception exception, string collection, string path);
}
