using System.Text.Json;
using Dapr.Client;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>Publishes integration events with Dapr pub/sub, to the topic named after the concrete event type.</summary>
public sealed class DaprEventBus(DaprClient dapr) : IEventBus
{
    public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvent);

        // Serialised by its runtime type, so a caller holding the base type loses no field.
        var data = JsonSerializer.SerializeToElement(integrationEvent, integrationEvent.GetType(), MaximusJson.Options);
        return dapr.PublishEventAsync(Components.PubSub, Topics.For(integrationEvent.GetType()), data, cancellationToken);
    }

    public async Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvents);
        foreach (var group in integrationEvents.GroupBy(e => e.GetType()))
        {
            var data = group.Select(e => JsonSerializer.SerializeToElement(e, e.GetType(), MaximusJson.Options)).ToList();
            var response = await dapr.BulkPublishEventAsync(Components.PubSub, Topics.For(group.Key), data, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            if (response.FailedEntries.Count > 0)
            {
                throw new InvalidOperationException(
                    $"Bulk publish to {Topics.For(group.Key)}: {response.FailedEntries.Count} of {data.Count} entries failed ({response.FailedEntries[0].ErrorMessage}).");
            }
        }
    }
}
