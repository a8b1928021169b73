using System.Collections.Concurrent;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.EventBus;

public sealed record ParcelAddress(string City, string PostCode);

/// <summary>A test event with fields of several kinds (text, number, list, time, nested record, optional).</summary>
public sealed record ParcelShippedIntegrationEvent(
    string ParcelId,
    int WeightGrams,
    IReadOnlyList<string> Items,
    DateTimeOffset ShippedAt,
    ParcelAddress Destination,
    string? Note = null) : IntegrationEvent;

public sealed record ParcelLostIntegrationEvent(string ParcelId, string Reason) : IntegrationEvent;

/// <summary>Published in the tests, subscribed by nobody.</summary>
public sealed record ParcelWeighedIntegrationEvent(string ParcelId, int WeightGrams) : IntegrationEvent;

/// <summary>Every event a <see cref="RecordingHandler{TEvent}"/> handled, in order.</summary>
public sealed class ReceivedEvents
{
    private readonly ConcurrentQueue<(Type Handler, IntegrationEvent Event)> _events = new();

    public void Add(Type handler, IntegrationEvent integrationEvent) => _events.Enqueue((handler, integrationEvent));

    public IReadOnlyList<(Type Handler, IntegrationEvent Event)> WithId(string id) =>
        [.. _events.Where(e => e.Event.Id == id)];
}

public sealed class RecordingHandler<TEvent>(ReceivedEvents received) : IIntegrationEventHandler<TEvent>
    where TEvent : IntegrationEvent
{
    public Task HandleAsync(TEvent integrationEvent, CancellationToken cancellationToken)
    {
        received.Add(GetType(), integrationEvent);
        return Task.CompletedTask;
    }
}
