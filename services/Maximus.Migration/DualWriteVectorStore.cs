using Maximus.Contracts.Ports;

namespace Maximus.Migration;

/// <summary>Settings of a dual-write period.</summary>
public sealed record DualWriteOptions
{
    /// <summary>Writes go to both stores until then, and afterwards to the store reads come from only (null: until <see cref="DualWriteVectorStore.EndDualWrite"/>).</summary>
    public DateTimeOffset? DualWriteUntil { get; init; }

    /// <summary>Read from the new store from the start (true) or from the old one until <see cref="DualWriteVectorStore.CutOver"/> (false).</summary>
    public bool ReadFromNew { get; init; }
}

/// <summary>A parity report between the two stores of one collection.</summary>
public sealed record ParityReport(
    string Collection, long Same, IReadOnlyList<string> OnlyInNew, IReadOnlyList<string> OnlyInOld, IReadOnlyList<string> Different)
{
    public bool InParity => OnlyInNew.Count == 0 && OnlyInOld.Count == 0 && Different.Count == 0;
}

/// <summary>
/// The cut-over decorator: during the dual-write period every write goes to both stores (the old store is written
/// first-class, so a rollback loses nothing); afterwards writes go to the store reads come from only (the primary);
/// reads come from the configured primary.
/// <see cref="CutOver"/> switches reads to the new store, <see cref="RollBack"/> back to the old one;
/// <see cref="CompareAsync"/> reports parity (ids only in one store, ids whose vector or payload differ).
/// </summary>
public sealed class DualWriteVectorStore(IVectorStore newStore, IVectorStore oldStore, DualWriteOptions options, TimeProvider? time = null) : IVectorStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile bool _readFromNew = options.ReadFromNew;
    private volatile bool _ended;

    /// <summary>True while reads are served by the new store.</summary>
    public bool ReadsFromNew => _readFromNew;

    /// <summary>True while writes go to both stores.</summary>
    public bool DualWriting => !_ended && (options.DualWriteUntil is not { } until || _time.GetUtcNow() < until);

    private IVectorStore Primary => _readFromNew ? newStore : oldStore;

    /// <summary>Reads from the new store from now on.</summary>
    public void CutOver() => _readFromNew = true;

    /// <summary>Reads from the old store again (it received every write of the dual-write period).</summary>
    public void RollBack() => _readFromNew = false;

    /// <summary>Ends the dual-write period: writes go to the primary only (after a verified cut-over: the new store).</summary>
    public void EndDualWrite() => _ended = true;

    public async Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default)
    {
        if (!DualWriting)
        {
            return await Primary.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
        }

        var created = await newStore.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
        var old = await oldStore.EnsureCollectionAsync(spec, cancellationToken).ConfigureAwait(false);
        return _readFromNew ? created : old;
    }

    public Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default) =>
        Primary.GetCollectionAsync(collection, cancellationToken);

    public async Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default)
    {
        if (!DualWriting)
        {
            return await Primary.DeleteCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        }

        var deleted = await oldStore.DeleteCollectionAsync(collection, cancellationToken).ConfigureAwait(false);
        return await newStore.DeleteCollectionAsync(collection, cancellationToken).ConfigureAwait(false) | deleted;
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        if (!DualWriting)
        {
            await Primary.UpsertAsync(collection, records, cancellationToken).ConfigureAwait(false);
            return;
        }

        await oldStore.UpsertAsync(collection, records, cancellationToken).ConfigureAwait(false);
        await newStore.UpsertAsync(collection, records, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default) =>
        Primary.SearchAsync(collection, request, cancellationToken);

    public Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default) =>
        Primary.GetAsync(collection, ids, withVectors, cancellationToken);

    public async Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        if (!DualWriting)
        {
            return await Primary.DeleteAsync(collection, ids, cancellationToken).ConfigureAwait(false);
        }

        var oldCount = await oldStore.DeleteAsync(collection, ids, cancellationToken).ConfigureAwait(false);
        var newCount = await newStore.DeleteAsync(collection, ids, cancellationToken).ConfigureAwait(false);
        return _readFromNew ? newCount : oldCount;
    }

    public async Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        if (!DualWriting)
        {
            return await Primary.DeleteAsync(collection, filter, cancellationToken).ConfigureAwait(false);
        }

        var oldCount = await oldStore.DeleteAsync(collection, filter, cancellationToken).ConfigureAwait(false);
        var newCount = await newStore.DeleteAsync(collection, filter, cancellationToken).ConfigureAwait(false);
        return _readFromNew ? newCount : oldCount;
    }

    /// <summary>
    /// Keyword search on the primary; while both stores receive every write, an old store without keyword search (Chroma)
    /// is answered by the new one, so hybrid recall keeps its lexical half during the migration.
    /// </summary>
    public async Task<IReadOnlyList<VectorSearchHit>> SearchTextAsync(string collection, VectorTextSearchRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Primary.SearchTextAsync(collection, request, cancellationToken).ConfigureAwait(false);
        }
        catch (NotSupportedException) when (!_readFromNew && DualWriting)
        {
            return await newStore.SearchTextAsync(collection, request, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Records the model in the primary, and during the dual-write period in both stores (an old store that cannot record one is left as it is).</summary>
    public async Task<VectorCollectionInfo> RecordEmbeddingModelAsync(string collection, string embeddingModel, CancellationToken cancellationToken = default)
    {
        if (DualWriting)
        {
            var secondary = _readFromNew ? oldStore : newStore;
            try
            {
                await secondary.RecordEmbeddingModelAsync(collection, embeddingModel, cancellationToken).ConfigureAwait(false);
            }
            catch (NotSupportedException) when (ReferenceEquals(secondary, oldStore))
            {
                // The old store (e.g. Chroma) keeps no model record.
            }
        }

        return await Primary.RecordEmbeddingModelAsync(collection, embeddingModel, cancellationToken).ConfigureAwait(false);
    }

    public Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default) =>
        Primary.ScrollAsync(collection, request, cancellationToken);

    public Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default) =>
        Primary.CountAsync(collection, filter, cancellationToken);

    /// <summary>Compares every point of the collection in both stores (ids, vectors and canonical payloads).</summary>
    public async Task<ParityReport> CompareAsync(string collection, CancellationToken cancellationToken = default)
    {
        var inNew = await FingerprintsAsync(newStore, collection, cancellationToken).ConfigureAwait(false);
        var inOld = await FingerprintsAsync(oldStore, collection, cancellationToken).ConfigureAwait(false);
        var onlyNew = inNew.Keys.Where(id => !inOld.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var onlyOld = inOld.Keys.Where(id => !inNew.ContainsKey(id)).Order(StringComparer.Ordinal).ToList();
        var different = inNew.Where(p => inOld.TryGetValue(p.Key, out var o) && o != p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        var same = inNew.Count(p => inOld.TryGetValue(p.Key, out var o) && o == p.Value);
        return new ParityReport(collection, same, onlyNew, onlyOld, different);
    }

    private static async Task<Dictionary<string, string>> FingerprintsAsync(IVectorStore store, string collection, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (await store.GetCollectionAsync(collection, cancellationToken).ConfigureAwait(false) is null)
        {
            return result;
        }

        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(collection, new VectorScrollRequest(1000, Cursor: cursor) { WithVectors = true }, cancellationToken).ConfigureAwait(false);
            foreach (var record in page.Records)
            {
                result[record.Id] = RecordChecksum.Compute(record.Id, null, record.Payload, record.Vector.Span);
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return result;
    }
}
