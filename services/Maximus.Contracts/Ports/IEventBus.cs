using Maximus.Contracts.Events;

namespace Maximus.Contracts.Ports;

/// <summary>Publishes integration events to the topic named after their type (Dapr pub/sub or in-process).</summary>
public interface IEventBus
{
    Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent;

    /// <summary>Publishes several events of one type in one call (Dapr bulk publish).</summary>
    Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent;
}

/// <summary>Handles one type of integration event; handlers must be idempotent by event id.</summary>
public interface IIntegrationEventHandler<in TEvent>
    where TEvent : IntegrationEvent
{
    Task HandleAsync(TEvent integrationEvent, CancellationToken cancellationToken);
}

/// <summary>A subscription declared by a role: the event type, its topic and the handler type.</summary>
public sealed record EventSubscription(Type EventType, Type HandlerType)
{
    public string Topic => Topics.For(EventType);
}
