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

/// <summary>
/// Handles many events of one type at once (Dapr bulk subscribe). Answers one status per event, in order;
/// handlers must be idempotent by event id.
/// </summary>
public interface IBulkIntegrationEventHandler<in TEvent>
    where TEvent : IntegrationEvent
{
    Task<IReadOnlyList<BulkEventStatus>> HandleAsync(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken);
}

/// <summary>The outcome of one event of a bulk delivery (Dapr's SUCCESS, RETRY, DROP).</summary>
public enum BulkEventStatus
{
    Success,

    /// <summary>A transient failure: deliver again.</summary>
    Retry,

    /// <summary>A poison event: never deliver again; it goes to the dead-letter topic.</summary>
    Drop,
}

/// <summary>A subscription declared by a role: the event type, its topic and the handler type.</summary>
/// <param name="Bulk">The handler is an <see cref="IBulkIntegrationEventHandler{TEvent}"/> (Dapr bulk subscribe).</param>
public sealed record EventSubscription(Type EventType, Type HandlerType, bool Bulk = false)
{
    public string Topic => Topics.For(EventType);
}

/// <summary>A handler's failure that retrying cannot fix (bad input): the event goes to the dead-letter topic at once.</summary>
public sealed class PoisonEventException(string message, Exception? inner = null) : Exception(message, inner);
