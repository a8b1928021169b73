namespace Maximus.Contracts.Ports;

/// <summary>Key/value state (Dapr state store or SQLite) with optimistic concurrency by ETag.</summary>
public interface IStateStore
{
    Task<T?> GetAsync<T>(string key, CancellationToken cancellationToken = default);

    /// <summary>Reads a value and its ETag; the ETag is null when the key does not exist.</summary>
    Task<(T? Value, string? ETag)> GetWithETagAsync<T>(string key, CancellationToken cancellationToken = default);

    Task SaveAsync<T>(string key, T value, CancellationToken cancellationToken = default);

    /// <summary>
    /// Saves only if the stored ETag still equals <paramref name="etag"/> (null: only if the key does not exist yet).
    /// Returns false on a conflict, and nothing is written.
    /// </summary>
    Task<bool> TrySaveAsync<T>(string key, T value, string? etag, CancellationToken cancellationToken = default);

    Task DeleteAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>Helpers built on the port, for read-modify-write with retries on conflicts.</summary>
public static class StateStoreExtensions
{
    /// <summary>Locks striped by key: writers of one key in one process take turns instead of conflicting.</summary>
    private static readonly SemaphoreSlim[] KeyLocks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>
    /// Reads, changes and saves <paramref name="key"/> under optimistic concurrency, retrying on conflicts. Writers
    /// of the same key in this process queue on a local lock, so conflicts only come from other processes.
    /// <paramref name="update"/> must not call the store.
    /// </summary>
    public static async Task<T> UpdateAsync<T>(
        this IStateStore store, string key, Func<T?, T> update, CancellationToken cancellationToken = default, int maxAttempts = 20)
    {
        var gate = KeyLocks[(key.GetHashCode(StringComparison.Ordinal) & int.MaxValue) % KeyLocks.Length];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var (current, etag) = await store.GetWithETagAsync<T>(key, cancellationToken).ConfigureAwait(false);
                var next = update(current);
                if (await store.TrySaveAsync(key, next, etag, cancellationToken).ConfigureAwait(false))
                {
                    return next;
                }

                if (attempt >= maxAttempts)
                {
                    throw new InvalidOperationException($"State key '{key}' kept changing: gave up after {maxAttempts} attempts.");
                }

                await Task.Delay(Random.Shared.Next(1, 5 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
