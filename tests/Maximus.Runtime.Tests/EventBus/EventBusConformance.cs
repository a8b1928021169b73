using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.EventBus;

/// <summary>
/// What every adapter of <see cref="IEventBus"/> must do (CONVENTIONS 15): a published event reaches the
/// handler subscribed to its concrete type, once and with every field. The subclass's host subscribes
/// <see cref="RecordingHandler{TEvent}"/> to <see cref="ParcelShippedIntegrationEvent"/> and
/// <see cref="ParcelLostIntegrationEvent"/>, and nobody to <see cref="ParcelWeighedIntegrationEvent"/>.
/// </summary>
public abstract class EventBusConformance
{
    protected abstract IEventBus Bus { get; }

    protected abstract ReceivedEvents Received { get; }

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Lets the adapter deliver everything published so far, and returns when the handlers are done.</summary>
    protected abstract Task DeliverAsync();

    private static ParcelShippedIntegrationEvent NewShipment(string? note = "leave at the door") => new(
        $"parcel-{Guid.NewGuid():N}",
        1250,
        ["book", "tea"],
        new DateTimeOffset(2025, 6, 1, 8, 30, 0, TimeSpan.FromHours(2)),
        new ParcelAddress("Lyon", "69001"),
        note);

    [Fact]
    public async Task A_published_event_reaches_its_handler_once_with_every_field()
    {
        var shipped = NewShipment();

        await Bus.PublishAsync(shipped, Ct);
        await DeliverAsync();

        var (handler, received) = Assert.Single(Received.WithId(shipped.Id));
        Assert.Equal(typeof(RecordingHandler<ParcelShippedIntegrationEvent>), handler);
        var typed = Assert.IsType<ParcelShippedIntegrationEvent>(received);
        Assert.Equivalent(shipped, typed, strict: true);
        Assert.Equal(shipped.CreatedAt, typed.CreatedAt);
    }

    [Fact]
    public async Task An_event_published_through_the_base_type_arrives_as_its_concrete_type_with_every_field()
    {
        var shipped = NewShipment(note: null);
        IntegrationEvent asBase = shipped;

        await Bus.PublishAsync(asBase, Ct);
        await DeliverAsync();

        var (handler, received) = Assert.Single(Received.WithId(shipped.Id));
        Assert.Equal(typeof(RecordingHandler<ParcelShippedIntegrationEvent>), handler);
        Assert.Equivalent(shipped, Assert.IsType<ParcelShippedIntegrationEvent>(received), strict: true);
    }

    [Fact]
    public async Task Bulk_publish_delivers_every_event_once()
    {
        var batch = Enumerable.Range(0, 5).Select(_ => NewShipment()).ToList();

        await Bus.PublishBulkAsync(batch, Ct);
        await DeliverAsync();

        foreach (var shipped in batch)
        {
            var (_, received) = Assert.Single(Received.WithId(shipped.Id));
            Assert.Equivalent(shipped, Assert.IsType<ParcelShippedIntegrationEvent>(received), strict: true);
        }
    }

    [Fact]
    public async Task Bulk_publish_of_mixed_types_delivers_each_to_the_handler_of_its_type()
    {
        var shipped = NewShipment();
        var lost = new ParcelLostIntegrationEvent(shipped.ParcelId, "fell off the truck");
        IReadOnlyList<IntegrationEvent> batch = [shipped, lost];

        await Bus.PublishBulkAsync(batch, Ct);
        await DeliverAsync();

        var (shippedHandler, shippedReceived) = Assert.Single(Received.WithId(shipped.Id));
        var (lostHandler, lostReceived) = Assert.Single(Received.WithId(lost.Id));
        Assert.Equal(typeof(RecordingHandler<ParcelShippedIntegrationEvent>), shippedHandler);
        Assert.Equal(typeof(RecordingHandler<ParcelLostIntegrationEvent>), lostHandler);
        Assert.Equivalent(shipped, Assert.IsType<ParcelShippedIntegrationEvent>(shippedReceived), strict: true);
        Assert.Equivalent(lost, Assert.IsType<ParcelLostIntegrationEvent>(lostReceived), strict: true);
    }

    [Fact]
    public async Task Publishing_an_event_nobody_subscribes_to_does_not_fail_and_reaches_no_handler()
    {
        var weighed = new ParcelWeighedIntegrationEvent("parcel-unwatched", 900);
        var shippedAfter = NewShipment();

        await Bus.PublishAsync(weighed, Ct);
        await Bus.PublishBulkAsync([weighed with { Id = Guid.NewGuid().ToString("N") }], Ct);
        await Bus.PublishAsync(shippedAfter, Ct);
        await DeliverAsync();

        Assert.Empty(Received.WithId(weighed.Id));
        Assert.Single(Received.WithId(shippedAfter.Id));
    }
}
