namespace Maximus.Contracts.Ports;

/// <summary>
/// An index (mission ids, vault labels, an audit trail) kept on the key/value state port without a hot key. Entries
/// are spread over <c>{prefix}:p00</c> … by a stable hash of their id, so a write rewrites one small partition and
/// concurrent writers seldom meet (and never conflict inside one process: see
/// <see cref="StateStoreExtensions.UpdateAsync{T}"/>). A listing reads every partition and merges them newest first.
/// The same code runs on every state store, Dapr or embedded: it needs no query API.
/// </summary>
/// <remarks>
/// <paramref name="legacyKey"/> names the single list an earlier version kept: it is read (never written again except
/// to remove an entry), so an upgrade keeps what was indexed before.
/// </remarks>
public sealed class PartitionedStateIndex<T>(
    IStateStore store,
    string prefix,
    Func<T, string> idOf,
    Func<T, DateTimeOffset> timeOf,
    int capacity,
    int partitions = PartitionedStateIndex.DefaultPartitions,
    string? legacyKey = null)
{
    private readonly int _capacityPerPartition = Math.Max(1, (capacity + partitions - 1) / partitions);

    public int Partitions => partitions;

    public string PartitionKey(int partition) => PartitionedStateIndex.Key(prefix, partition);

    /// <summary>The partition of an id: FNV-1a over its characters, the same in every process.</summary>
    public int PartitionOf(string id) => PartitionedStateIndex.Of(id, partitions);

    /// <summary>Adds (or replaces, by id) an entry; the oldest entries of its partition fall out beyond the capacity.</summary>
    public Task AddAsync(T entry, CancellationToken cancellationToken = default)
    {
        var id = idOf(entry);
        return store.UpdateAsync<List<T>>(PartitionKey(PartitionOf(id)), list =>
        {
            list ??= [];
            list.RemoveAll(e => string.Equals(idOf(e), id, StringComparison.Ordinal));
            list.Add(entry);
            if (list.Count > _capacityPerPartition)
            {
                list.Sort((a, b) => timeOf(a).CompareTo(timeOf(b)));
                list.RemoveRange(0, list.Count - _capacityPerPartition);
            }

            return list;
        }, cancellationToken);
    }

    /// <summary>Removes the entry with <paramref name="id"/>, from its partition and from the legacy list.</summary>
    public async Task RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        await store.UpdateAsync<List<T>>(PartitionKey(PartitionOf(id)), list =>
        {
            list ??= [];
            list.RemoveAll(e => string.Equals(idOf(e), id, StringComparison.Ordinal));
            return list;
        }, cancellationToken).ConfigureAwait(false);
        if (legacyKey is not null
            && await store.GetAsync<List<T>>(legacyKey, cancellationToken).ConfigureAwait(false) is { } legacy
            && legacy.Exists(e => string.Equals(idOf(e), id, StringComparison.Ordinal)))
        {
            await store.UpdateAsync<List<T>>(legacyKey, list =>
            {
                list ??= [];
                list.RemoveAll(e => string.Equals(idOf(e), id, StringComparison.Ordinal));
                return list;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Up to <paramref name="limit"/> entries, newest first (ties by id), each id once.</summary>
    public async Task<IReadOnlyList<T>> ListAsync(int limit, CancellationToken cancellationToken = default)
    {
        var reads = Enumerable.Range(0, partitions)
            .Select(p => store.GetAsync<List<T>>(PartitionKey(p), cancellationToken))
            .ToList();
        if (legacyKey is not null)
        {
            reads.Add(store.GetAsync<List<T>>(legacyKey, cancellationToken));
        }

        var lists = await Task.WhenAll(reads).ConfigureAwait(false);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return
        [
            .. lists.SelectMany(l => l ?? [])
                .OrderByDescending(timeOf)
                .ThenByDescending(idOf, StringComparer.Ordinal)
                .Where(e => seen.Add(idOf(e)))
                .Take(limit),
        ];
    }
}

/// <summary>The partitioning shared by every <see cref="PartitionedStateIndex{T}"/>.</summary>
public static class PartitionedStateIndex
{
    public const int DefaultPartitions = 16;

    public static string Key(string prefix, int partition) => $"{prefix}:p{partition:D2}";

    public static int Of(string id, int partitions)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % (uint)partitions);
    }
}
