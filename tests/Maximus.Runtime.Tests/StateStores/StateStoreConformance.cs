using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.StateStores;

/// <summary>
/// What every adapter of <see cref="IStateStore"/> must do (CONVENTIONS 15). Each subclass runs the
/// same tests against one adapter; xunit creates a fresh store for every test.
/// </summary>
public abstract class StateStoreConformance
{
    private const int ConcurrentWriters = 20;

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

    public sealed record Dimensions(double Length, double Width);

    public sealed record Shipment(
        string Name,
        int Count,
        IReadOnlyList<string> Labels,
        DateTimeOffset ShippedAt,
        Dimensions Size,
        string? Note);
}
