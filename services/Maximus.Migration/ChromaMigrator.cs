using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Migration.Chroma;

namespace Maximus.Migration;

/// <summary>Settings of one migration run.</summary>
public sealed record MigrationOptions
{
    /// <summary>One target collection for every Chroma collection; null: <c>chroma-&lt;name&gt;</c> per collection.</summary>
    public string? TargetCollection { get; init; }

    /// <summary>Chroma collection name → memory type (default <c>resource</c>).</summary>
    public IReadOnlyDictionary<string, string> TypeMap { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Only these Chroma collections (empty: all).</summary>
    public IReadOnlyList<string> Collections { get; init; } = [];

    public string AgentId { get; init; } = "default";

    /// <summary>A metadata key whose string value is the agent id (e.g. mem0's <c>user_id</c>); falls back to <see cref="AgentId"/>.</summary>
    public string? AgentKey { get; init; }

    public int BatchSize { get; init; } = 256;

    public bool Verify { get; init; }

    public bool Resume { get; init; }

    public bool DryRun { get; init; }

    /// <summary>Folder of the checkpoint files (null: no checkpoint).</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Called once right before the first write (e.g. to snapshot the target); returns a path to report.</summary>
    public Func<CancellationToken, Task<string?>>? BeforeFirstWrite { get; init; }

    public Action<MigrationProgress>? Progress { get; init; }
}

/// <summary>Progress of a phase in one collection: records of <see cref="Collection"/> done of its total, throughput and the estimated time left.</summary>
public sealed record MigrationProgress(string Phase, string Collection, long Done, long Total, double RecordsPerSecond, TimeSpan? Eta);

public sealed record CollectionReport(
    string Collection, string Target, int? Dimension, string Type, long Read, long Written, long Skipped, long Resumed,
    long Mismatched, IReadOnlyList<string> MismatchedIds);

/// <summary>
/// The outcome: records read from the source, written to the target, skipped (already present with the same checksum),
/// resumed (done by an earlier run, per its checkpoint) and, with verification, mismatched (missing or different in the target).
/// </summary>
public sealed record MigrationReport(
    string Source, string TargetStore, bool DryRun, bool Verified, long Read, long Written, long Skipped, long Resumed, long Mismatched,
    IReadOnlyList<string> MismatchedIds, IReadOnlyList<CollectionReport> Collections, string? Snapshot, double ElapsedSeconds);

/// <summary>Options that do not fit the source or the target (unknown collection, dimension conflict): nothing was written.</summary>
public sealed class MigrationInputException(string message) : Exception(message);

/// <summary>A validated source: every record read once, its checksum and target point id known.</summary>
public sealed record MigrationPlan(string Source, IReadOnlyList<CollectionPlan> Collections)
{
    public long Records => Collections.Sum(c => (long)c.Records.Count);
}

public sealed record CollectionPlan(ChromaCollectionInfo Source, string Target, int? Dimension, string Type, IReadOnlyList<PlannedRecord> Records);

public sealed record PlannedRecord(string ChromaId, string PointId, string Checksum);

/// <summary>
/// Migrates Chroma collections into an <see cref="IVectorStore"/>. Plan first (reads and validates the whole source, so bad
/// input fails before anything is written), then execute: batches are compared with the target by checksum (a record
/// already present and equal is skipped, so a re-run writes nothing), written with deterministic point ids (UUIDv5 of
/// collection and Chroma id, which Qdrant accepts), and a checkpoint is saved after every batch so that <c>--resume</c>
/// continues an interrupted run. Target collections use the dot-product distance so that vectors are stored as given.
/// </summary>
public sealed class ChromaMigrator(IChromaSource source, MigrationOptions options)
{
    public const string DefaultType = "resource";
    public const string ChromaIdKey = "chromaId";
    public const string ChromaCollectionKey = "chromaCollection";
    public const string ChromaMetadataKey = "chroma";
    private static readonly Guid Namespace = new("6f1c5a2e-9d4b-5c7a-8e3f-2b1d0c9a8f7e");

    /// <summary>The deterministic point id of a Chroma record: a UUIDv5 (SHA-1) of "collection/id".</summary>
    public static string PointId(string collection, string chromaId)
    {
        var name = Encoding.UTF8.GetBytes($"{collection}/{chromaId}");
        var ns = Namespace.ToByteArray(bigEndian: true);
        var hash = SHA1.HashData([.. ns, .. name]);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    /// <summary>The target collection of a Chroma collection when none is given: <c>chroma-&lt;name&gt;</c>, other characters as '_'.</summary>
    public static string DefaultTarget(string chromaCollection)
    {
        var name = new string([.. ("chroma-" + chromaCollection).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        return name.Length <= 64 ? name : name[..48] + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(chromaCollection)))[..15];
    }

    /// <summary>The checksum of a point written by the migration (see <see cref="RecordChecksum"/>), or null when it is not one.</summary>
    public static string? TargetChecksum(VectorRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Payload[ChromaIdKey] is not JsonValue id || id.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var text = record.Payload[VectorPayloadKeys.Text] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        return RecordChecksum.Compute(id.GetValue<string>(), text, record.Payload[ChromaMetadataKey] as JsonObject, record.Vector.Span);
    }

    public async Task<MigrationPlan> PlanAsync(CancellationToken cancellationToken = default)
    {
        var all = await source.ListCollectionsAsync(cancellationToken).ConfigureAwait(false);
        var byName = all.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var unknown = options.Collections.Concat(options.TypeMap.Keys).Where(n => !byName.ContainsKey(n)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw new MigrationInputException(
                $"Unknown Chroma collection(s): {string.Join(", ", unknown)}. The source has: {(all.Count == 0 ? "no collections" : string.Join(", ", all.Select(c => c.Name)))}.");
        }

        if (options.TargetCollection is { } to && !IsCollectionName(to))
        {
            throw new MigrationInputException($"Target collection '{to}' is invalid: use 1 to 64 letters, digits, '-' or '_'.");
        }

        var selected = options.Collections.Count == 0 ? all : [.. options.Collections.Distinct().Select(n => byName[n])];
        var plans = new List<CollectionPlan>();
        foreach (var collection in selected)
        {
            var done = 0L;
            var clock = Stopwatch.StartNew();
            var records = new List<PlannedRecord>((int)Math.Min(collection.Count, 1_000_000));
            var dimension = collection.Dimension;
            var target = options.TargetCollection ?? DefaultTarget(collection.Name);
            await foreach (var batch in ReadAhead.Batches(source.ReadAsync(collection, options.BatchSize, cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                foreach (var record in batch)
                {
                    dimension ??= record.Embedding.Length;
                    if (record.Embedding.Length != dimension)
                    {
                        throw new ChromaSourceException(
                            $"Collection '{collection.Name}', record '{record.Id}': vector of dimension {record.Embedding.Length}, the collection's is {dimension}.");
                    }

                    if (record.Embedding.Length == 0 || !record.Embedding.All(float.IsFinite))
                    {
                        throw new ChromaSourceException($"Collection '{collection.Name}', record '{record.Id}': the vector is empty or not finite.");
                    }

                    records.Add(new PlannedRecord(record.Id, PointId(collection.Name, record.Id), RecordChecksum.Compute(record.Id, record.Document, record.Metadata, record.Embedding)));
                }

                done += batch.Count;
                Report("read", collection.Name, done, Math.Max(collection.Count, done), clock);
            }

            plans.Add(new CollectionPlan(collection, target, dimension, options.TypeMap.GetValueOrDefault(collection.Name) ?? DefaultType, records));
        }

        var conflicts = plans.Where(p => p.Records.Count > 0).GroupBy(p => p.Target, StringComparer.Ordinal)
            .Where(g => g.Select(p => p.Dimension).Distinct().Count() > 1).ToList();
        if (conflicts.Count > 0)
        {
            var g = conflicts[0];
            throw new MigrationInputException(
                $"Collections {string.Join(", ", g.Select(p => $"'{p.Source.Name}' ({p.Dimension})"))} have different dimensions and cannot share the target '{g.Key}'.");
        }

        return new MigrationPlan(source.Description, plans);
    }

    /// <summary>
    /// Writes the plan into <paramref name="store"/> (and verifies it when asked). A store that supports bulk loads
    /// (<see cref="IVectorBulkLoad"/>) gets one per target collection for the whole run, so that the embedded store builds
    /// each HNSW index once at the end instead of growing it record by record.
    /// </summary>
    public async Task<MigrationReport> ExecuteAsync(MigrationPlan plan, IVectorStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(store);
        using var bulkLoads = new BulkLoads(store);
        return await ExecuteAsync(plan, store, bulkLoads, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MigrationReport> ExecuteAsync(MigrationPlan plan, IVectorStore store, BulkLoads bulkLoads, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var work = plan.Collections.Where(p => p.Records.Count > 0).ToList();
        foreach (var target in work.GroupBy(p => p.Target, StringComparer.Ordinal))
        {
            var existing = await store.GetCollectionAsync(target.Key, cancellationToken).ConfigureAwait(false);
            var dimension = target.First().Dimension!.Value;
            if (existing is not null && (existing.Dimension != dimension || existing.Distance != VectorDistance.Dot))
            {
                throw new MigrationInputException(
                    $"Target collection '{target.Key}' exists with dimension {existing.Dimension} and distance {existing.Distance}; the Chroma vectors need dimension {dimension} and distance Dot.");
            }
        }

        var checkpoint = MigrationCheckpoint.Load(options.CheckpointDirectory, plan);
        if (!options.Resume)
        {
            checkpoint.Done.Clear();
        }

        string? snapshot = null;
        var firstWrite = true;
        var reports = new List<CollectionReport>();
        foreach (var collection in plan.Collections)
        {
            var collectionClock = Stopwatch.StartNew();
            long written = 0, skipped = 0, resumed = 0;
            if (collection.Records.Count == 0)
            {
                reports.Add(new CollectionReport(collection.Source.Name, collection.Target, collection.Dimension, collection.Type, 0, 0, 0, 0, 0, []));
                continue;
            }

            var alreadyDone = checkpoint.Done.GetValueOrDefault(collection.Source.Name);
            var index = 0L;
            var ensured = false;
            await foreach (var batch in ReadAhead.Batches(source.ReadAsync(collection.Source, options.BatchSize, cancellationToken), cancellationToken).ConfigureAwait(false))
            {
                var pending = new List<ChromaRecord>(batch.Count);
                foreach (var record in batch)
                {
                    if (index++ < alreadyDone)
                    {
                        resumed++;
                    }
                    else
                    {
                        pending.Add(record);
                    }
                }

                if (pending.Count > 0)
                {
                    var points = pending.Select(r => ToPoint(collection, r)).ToList();
                    var present = new Dictionary<string, string?>(StringComparer.Ordinal);
                    if (ensured || await store.GetCollectionAsync(collection.Target, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        foreach (var point in await store.GetAsync(collection.Target, [.. points.Select(p => p.Id)], withVectors: true, cancellationToken).ConfigureAwait(false))
                        {
                            present[point.Id] = TargetChecksum(point);
                        }
                    }

                    var changed = new List<VectorRecord>(points.Count);
                    for (var i = 0; i < points.Count; i++)
                    {
                        var r = pending[i];
                        var checksum = RecordChecksum.Compute(r.Id, r.Document, r.Metadata, r.Embedding);
                        if (present.TryGetValue(points[i].Id, out var existing) && existing == checksum)
                        {
                            skipped++;
                        }
                        else
                        {
                            changed.Add(points[i]);
                        }
                    }

                    if (changed.Count > 0 && !options.DryRun)
                    {
                        if (firstWrite && options.BeforeFirstWrite is { } before)
                        {
                            snapshot = await before(cancellationToken).ConfigureAwait(false);
                        }

                        firstWrite = false;
                        if (!ensured)
                        {
                            await store.EnsureCollectionAsync(
                                new VectorCollectionSpec(collection.Target, collection.Dimension!.Value, VectorDistance.Dot), cancellationToken).ConfigureAwait(false);
                            bulkLoads.Begin(collection.Target);
                            ensured = true;
                        }

                        await store.UpsertAsync(collection.Target, changed, cancellationToken).ConfigureAwait(false);
                    }

                    written += changed.Count;
                }

                if (!options.DryRun)
                {
                    checkpoint.Done[collection.Source.Name] = index;
                    checkpoint.Save();
                }

                // Progress of this collection (records of it done / its records), named after it.
                Report(options.DryRun ? "compare" : "write", collection.Source.Name, index, collection.Records.Count, collectionClock);
            }

            reports.Add(new CollectionReport(collection.Source.Name, collection.Target, collection.Dimension, collection.Type, collection.Records.Count, written, skipped, resumed, 0, []));
        }

        var verified = false;
        if (options.Verify)
        {
            verified = true;
            for (var i = 0; i < reports.Count; i++)
            {
                var mismatched = await VerifyAsync(plan.Collections[i], store, cancellationToken).ConfigureAwait(false);
                reports[i] = reports[i] with { Mismatched = mismatched.Count, MismatchedIds = mismatched };
            }
        }

        return new MigrationReport(
            plan.Source, store.GetType().Name, options.DryRun, verified,
            reports.Sum(r => r.Read), reports.Sum(r => r.Written), reports.Sum(r => r.Skipped), reports.Sum(r => r.Resumed),
            reports.Sum(r => r.Mismatched), [.. reports.SelectMany(r => r.MismatchedIds)], reports, snapshot, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The Chroma ids of the collection's records that are missing from the target or differ from the source.</summary>
    public async Task<IReadOnlyList<string>> VerifyAsync(CollectionPlan collection, IVectorStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(collection);
        ArgumentNullException.ThrowIfNull(store);
        var mismatched = new List<string>();
        if (collection.Records.Count == 0)
        {
            return mismatched;
        }

        if (await store.GetCollectionAsync(collection.Target, cancellationToken).ConfigureAwait(false) is null)
        {
            return [.. collection.Records.Select(r => r.ChromaId)];
        }

        var clock = Stopwatch.StartNew();
        var done = 0L;
        foreach (var chunk in collection.Records.Chunk(Math.Max(1, options.BatchSize)))
        {
            var found = (await store.GetAsync(collection.Target, [.. chunk.Select(r => r.PointId)], withVectors: true, cancellationToken).ConfigureAwait(false))
                .ToDictionary(p => p.Id, TargetChecksum, StringComparer.Ordinal);
            mismatched.AddRange(chunk.Where(r => !found.TryGetValue(r.PointId, out var checksum) || checksum != r.Checksum).Select(r => r.ChromaId));
            done += chunk.Length;
            Report("verify", collection.Source.Name, done, collection.Records.Count, clock);
        }

        return mismatched;
    }

    private VectorRecord ToPoint(CollectionPlan collection, ChromaRecord record)
    {
        var payload = new JsonObject
        {
            [VectorPayloadKeys.AgentId] = options.AgentKey is { } key && record.Metadata[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String
                ? v.GetValue<string>()
                : options.AgentId,
            [VectorPayloadKeys.Type] = collection.Type,
            [VectorPayloadKeys.CreatedAt] = (record.CreatedAt ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds(),
            [ChromaIdKey] = record.Id,
            [ChromaCollectionKey] = collection.Source.Name,
            [ChromaMetadataKey] = record.Metadata.DeepClone(),
        };
        if (record.Document is not null)
        {
            payload[VectorPayloadKeys.Text] = record.Document;
        }

        return new VectorRecord(PointId(collection.Source.Name, record.Id), record.Embedding, payload);
    }

    private void Report(string phase, string collection, long done, long total, Stopwatch clock)
    {
        if (options.Progress is not { } progress)
        {
            return;
        }

        var seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
        var rate = done / seconds;
        TimeSpan? eta = rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - done) / rate) : null;
        progress(new MigrationProgress(phase, collection, done, total, rate, eta));
    }

    private static bool IsCollectionName(string name) =>
        name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>The bulk loads of one run, one per target collection, ended together when the run ends (written or not).</summary>
internal sealed class BulkLoads(IVectorStore store) : IDisposable
{
    private readonly Dictionary<string, IDisposable> _running = new(StringComparer.Ordinal);

    public void Begin(string collection)
    {
        if (store is IVectorBulkLoad bulk && !_running.ContainsKey(collection))
        {
            _running[collection] = bulk.BeginBulkLoad(collection);
        }
    }

    public void Dispose()
    {
        foreach (var running in _running.Values)
        {
            running.Dispose();
        }

        _running.Clear();
    }
}

/// <summary>How far a migration got, per Chroma collection (records in source order), saved as JSON under the data directory.</summary>
internal sealed class MigrationCheckpoint
{
    private string? _path;

    public string Source { get; set; } = "";

    public Dictionary<string, long> Done { get; set; } = new(StringComparer.Ordinal);

    public static MigrationCheckpoint Load(string? directory, MigrationPlan plan)
    {
        if (directory is null)
        {
            return new MigrationCheckpoint { Source = plan.Source };
        }

        var key = string.Join('|', [plan.Source, .. plan.Collections.Select(c => $"{c.Source.Name}>{c.Target}")]);
        var path = Path.Combine(directory, $"chroma-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16]}.json");
        MigrationCheckpoint? loaded = null;
        if (File.Exists(path))
        {
            try
            {
                loaded = JsonSerializer.Deserialize<MigrationCheckpoint>(File.ReadAllText(path));
            }
            catch (JsonException)
            {
                loaded = null;
            }
        }

        loaded ??= new MigrationCheckpoint { Source = plan.Source };
        loaded.Done = new Dictionary<string, long>(loaded.Done ?? [], StringComparer.Ordinal);
        loaded._path = path;
        return loaded;
    }

    public void Save()
    {
        if (_path is null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temporary = _path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this));
        File.Move(temporary, _path, overwrite: true);
    }
}
