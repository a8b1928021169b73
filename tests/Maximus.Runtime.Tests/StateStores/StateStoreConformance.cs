using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.StateStores;

/// <summary>
/// What every adapter of <see cref="IStateStore"/> must do (CONVENTIONS 15). Each subclass runs the
/// same tests against one adapter; xunit creates a fresh store for every test.
/// </summary>
public abstract class StateStoreConformance
{
    private const int ConcurrentWriters = 20;
    private const int IndexWriters = 200;

    protected abstract IStateStore Store { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewKey() => $"conformance:{Guid.NewGuid():N}";

    private static Shipment SampleShipment(string name = "crate") => new(
        name,
        7,
        ["fragile", "this side up"],
        new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.FromHours(2)),
        new Dimensions(1.5, 0.25),
        null);

    [Fact]
    public async Task Get_of_a_missing_key_is_default_and_its_etag_is_null()
    {
        var key = NewKey();

        var value = await Store.GetAsync<Shipment>(key, Ct);
        var (withETag, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);
        var number = await Store.GetAsync<int>(key, Ct);

        Assert.Null(value);
        Assert.Null(withETag);
        Assert.Null(etag);
        Assert.Equal(0, number);
    }

    [Fact]
    public async Task Save_then_get_round_trips_a_record()
    {
        var key = NewKey();
        var shipment = SampleShipment();

        await Store.SaveAsync(key, shipment, Ct);
        var read = await Store.GetAsync<Shipment>(key, Ct);
        var (withETag, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.NotNull(read);
        Assert.Equivalent(shipment, read, strict: true);
        Assert.Equivalent(shipment, withETag, strict: true);
        Assert.False(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task Save_overwrites_and_changes_the_etag()
    {
        var key = NewKey();
        await Store.SaveAsync(key, SampleShipment("first"), Ct);
        var (_, before) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        await Store.SaveAsync(key, SampleShipment("second"), Ct);
        var (after, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.Equal("second", after?.Name);
        Assert.NotEqual(before, etag);
    }

    [Fact]
    public async Task TrySave_with_the_current_etag_succeeds_and_changes_the_etag()
    {
        var key = NewKey();
        await Store.SaveAsync(key, SampleShipment("first"), Ct);
        var (_, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        var saved = await Store.TrySaveAsync(key, SampleShipment("second"), etag, Ct);
        var (after, newETag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.True(saved);
        Assert.Equal("second", after?.Name);
        Assert.False(string.IsNullOrEmpty(newETag));
        Assert.NotEqual(etag, newETag);
    }

    [Fact]
    public async Task TrySave_with_a_stale_etag_fails_and_writes_nothing()
    {
        var key = NewKey();
        await Store.SaveAsync(key, SampleShipment("first"), Ct);
        var (_, stale) = await Store.GetWithETagAsync<Shipment>(key, Ct);
        Assert.True(await Store.TrySaveAsync(key, SampleShipment("second"), stale, Ct));
        var (_, current) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        var saved = await Store.TrySaveAsync(key, SampleShipment("lost update"), stale, Ct);
        var (after, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.False(saved);
        Assert.Equal("second", after?.Name);
        Assert.Equal(current, etag);
    }

    [Fact]
    public async Task TrySave_with_an_etag_fails_when_the_key_is_missing()
    {
        var key = NewKey();
        await Store.SaveAsync(key, SampleShipment(), Ct);
        var (_, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);
        await Store.DeleteAsync(key, Ct);

        var saved = await Store.TrySaveAsync(key, SampleShipment("resurrected"), etag, Ct);

        Assert.False(saved);
        Assert.Null(await Store.GetAsync<Shipment>(key, Ct));
    }

    [Fact]
    public async Task TrySave_without_an_etag_creates_only_when_the_key_is_missing()
    {
        var key = NewKey();

        var created = await Store.TrySaveAsync(key, SampleShipment("first"), null, Ct);
        var (_, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);
        var overwritten = await Store.TrySaveAsync(key, SampleShipment("second"), null, Ct);
        var (after, etagAfter) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.True(created);
        Assert.False(overwritten);
        Assert.Equal("first", after?.Name);
        Assert.Equal(etag, etagAfter);
    }

    [Fact]
    public async Task Delete_removes_the_key()
    {
        var key = NewKey();
        await Store.SaveAsync(key, SampleShipment(), Ct);

        await Store.DeleteAsync(key, Ct);
        var (value, etag) = await Store.GetWithETagAsync<Shipment>(key, Ct);

        Assert.Null(value);
        Assert.Null(etag);
        Assert.True(await Store.TrySaveAsync(key, SampleShipment("again"), null, Ct));
    }

    [Fact]
    public async Task Delete_of_a_missing_key_does_not_fail()
    {
        var key = NewKey();

        await Store.DeleteAsync(key, Ct);

        Assert.Null(await Store.GetAsync<Shipment>(key, Ct));
    }

    [Fact]
    public async Task UpdateAsync_with_20_concurrent_increments_loses_none()
    {
        var key = NewKey();
        await Store.SaveAsync(key, 0, Ct);

        var results = await IncrementConcurrentlyAsync(key);
        var final = await Store.GetAsync<int>(key, Ct);

        Assert.Equal(ConcurrentWriters, final);
        Assert.Equal(Enumerable.Range(1, ConcurrentWriters), results.Order());
    }

    [Fact]
    public async Task UpdateAsync_with_20_concurrent_increments_of_a_missing_key_loses_none()
    {
        // The first writers race to create the key: TrySave(etag: null) must answer false to the losers,
        // so that UpdateAsync retries them, rather than fail them.
        var key = NewKey();

        var results = await IncrementConcurrentlyAsync(key);
        var final = await Store.GetAsync<int>(key, Ct);

        Assert.Equal(ConcurrentWriters, final);
        Assert.Equal(Enumerable.Range(1, ConcurrentWriters), results.Order());
    }

    [Fact]
    public async Task TrySave_races_of_20_writers_without_a_local_lock_lose_no_increment()
    {
        // UpdateAsync queues writers of one process on a lock; writers in different processes only have the ETag.
        // Each writer here retries on its own, as another process would, so every conflict goes to the store.
        var key = NewKey();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, ConcurrentWriters)
            .Select(_ => Task.Run(
                async () =>
                {
                    await start.Task;
                    var conflicts = 0;
                    while (true)
                    {
                        var (n, etag) = await Store.GetWithETagAsync<int>(key, Ct);
                        if (await Store.TrySaveAsync(key, n + 1, etag, Ct))
                        {
                            return conflicts;
                        }

                        conflicts++;
                        await Task.Yield();
                    }
                },
                Ct))
            .ToList();
        start.SetResult();
        await Task.WhenAll(writers);

        Assert.Equal(ConcurrentWriters, await Store.GetAsync<int>(key, Ct));
    }

    [Fact]
    public async Task A_partitioned_index_with_200_concurrent_adds_lists_each_once_newest_first()
    {
        var index = new PartitionedStateIndex<IndexEntry>(Store, NewKey(), e => e.Id, e => e.At, capacity: 5_000);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var entries = Enumerable.Range(0, IndexWriters).Select(i => new IndexEntry($"m-{i:D3}", t0.AddMilliseconds(i))).ToList();

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var adds = entries.Select(e => Task.Run(async () => { await start.Task; await index.AddAsync(e, Ct); }, Ct)).ToList();
        start.SetResult();
        await Task.WhenAll(adds);
        var listed = await index.ListAsync(1_000, Ct);
        var firstTen = await index.ListAsync(10, Ct);

        Assert.Equal(entries.AsEnumerable().Reverse().Select(e => e.Id), listed.Select(e => e.Id));
        Assert.Equal(listed.Take(10), firstTen);
        var partitions = await Task.WhenAll(Enumerable.Range(0, index.Partitions).Select(p => Store.GetAsync<List<IndexEntry>>(index.PartitionKey(p), Ct)));
        Assert.True(partitions.Count(p => p is { Count: > 0 }) > 1, "entries must spread over partitions, not one key");
        Assert.All(partitions, p => Assert.True((p?.Count ?? 0) < IndexWriters / 2));
    }

    [Fact]
    public async Task A_partitioned_index_removes_entries_and_reads_the_legacy_list()
    {
        var prefix = NewKey();
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Store.SaveAsync(prefix, new List<IndexEntry> { new("old-1", t0), new("old-2", t0.AddSeconds(1)) }, Ct);
        var index = new PartitionedStateIndex<IndexEntry>(Store, prefix, e => e.Id, e => e.At, capacity: 100, legacyKey: prefix);
        await index.AddAsync(new IndexEntry("new-1", t0.AddSeconds(2)), Ct);
        await index.AddAsync(new IndexEntry("new-2", t0.AddSeconds(3)), Ct);

        await index.RemoveAsync("new-1", Ct);
        await index.RemoveAsync("old-1", Ct);
        var listed = await index.ListAsync(10, Ct);

        Assert.Equal(["new-2", "old-2"], listed.Select(e => e.Id));
    }

    [Fact]
    public async Task A_partitioned_index_keeps_the_newest_entries_up_to_its_capacity()
    {
        var index = new PartitionedStateIndex<IndexEntry>(Store, NewKey(), e => e.Id, e => e.At, capacity: 4, partitions: 1);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var i in Enumerable.Range(0, 6))
        {
            await index.AddAsync(new IndexEntry($"e{i}", t0.AddSeconds(i)), Ct);
        }

        var listed = await index.ListAsync(10, Ct);

        Assert.Equal(["e5", "e4", "e3", "e2"], listed.Select(e => e.Id));
    }

    private async Task<int[]> IncrementConcurrentlyAsync(string key)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, ConcurrentWriters)
            .Select(_ => Task.Run(
                async () =>
                {
                    await start.Task;
                    return await Store.UpdateAsync<int>(key, n => n + 1, Ct);
                },
                Ct))
            .ToList();
        start.SetResult();
        return await Task.WhenAll(writers);
    }

    public sealed record IndexEntry(string Id, DateTimeOffset At);

    public sealed record Dimensions(double Length, double Width);

    public sealed record Shipment(
        string Name,
        int Count,
        IReadOnlyList<string> Labels,
        DateTimeOffset ShippedAt,
        Dimensions Size,
        string? Note);
}
