using System.Diagnostics;
using Maximus.Contracts.Ports;

namespace Maximus.Cli.Commands;

/// <summary>
/// A fault hook for crash tests of <c>maximus memory migrate</c> (environment variable
/// <c>Maximus__Migration__KillAfterRecords=N</c>, off by default): the store passes writes through until N records have been
/// upserted, writing the first part of the batch that reaches N, then the process kills itself (SIGKILL on Unix) in the
/// middle of that batch, before the migrator can save its checkpoint. Bulk loads pass through too, so that the crash
/// happens on the path a real migration takes.
/// </summary>
internal sealed class KillAfterRecordsVectorStore(IVectorStore inner, long killAfter) : IVectorStore, IVectorBulkLoad
{
    public const string Setting = "Maximus:Migration:KillAfterRecords";

    private long _written;

    public async Task UpsertAsync(string collection, IReadOnlyList<VectorRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var left = killAfter - _written;
        if (records.Count < left)
        {
            await inner.UpsertAsync(collection, records, cancellationToken).ConfigureAwait(false);
            _written += records.Count;
            return;
        }

        await inner.UpsertAsync(collection, [.. records.Take((int)left)], cancellationToken).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"fault hook {Setting}={killAfter}: killing the process after {killAfter} records, mid-batch.").ConfigureAwait(false);
        Process.GetCurrentProcess().Kill();
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
    }

    public Task<VectorCollectionInfo> EnsureCollectionAsync(VectorCollectionSpec spec, CancellationToken cancellationToken = default) =>
        inner.EnsureCollectionAsync(spec, cancellationToken);

    public Task<VectorCollectionInfo?> GetCollectionAsync(string collection, CancellationToken cancellationToken = default) =>
        inner.GetCollectionAsync(collection, cancellationToken);

    public Task<bool> DeleteCollectionAsync(string collection, CancellationToken cancellationToken = default) =>
        inner.DeleteCollectionAsync(collection, cancellationToken);

    public Task<IReadOnlyList<VectorSearchHit>> SearchAsync(string collection, VectorSearchRequest request, CancellationToken cancellationToken = default) =>
        inner.SearchAsync(collection, request, cancellationToken);

    public Task<IReadOnlyList<VectorRecord>> GetAsync(
        string collection, IReadOnlyCollection<string> ids, bool withVectors = false, CancellationToken cancellationToken = default) =>
        inner.GetAsync(collection, ids, withVectors, cancellationToken);

    public Task<int> DeleteAsync(string collection, IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(collection, ids, cancellationToken);

    public Task<long> DeleteAsync(string collection, VectorFilter filter, CancellationToken cancellationToken = default) =>
        inner.DeleteAsync(collection, filter, cancellationToken);

    public Task<VectorScrollPage> ScrollAsync(string collection, VectorScrollRequest request, CancellationToken cancellationToken = default) =>
        inner.ScrollAsync(collection, request, cancellationToken);

    public Task<long> CountAsync(string collection, VectorFilter? filter = null, CancellationToken cancellationToken = default) =>
        inner.CountAsync(collection, filter, cancellationToken);

    public IDisposable BeginBulkLoad(string collection) =>
        inner is IVectorBulkLoad bulk ? bulk.BeginBulkLoad(collection) : NoBulkLoad.Instance;

    private sealed class NoBulkLoad : IDisposable
    {
        public static NoBulkLoad Instance { get; } = new();

        public void Dispose()
        {
        }
    }
}
