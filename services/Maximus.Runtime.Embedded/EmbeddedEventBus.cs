using System.Collections.Frozen;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Embedded;

/// <summary>
/// Pub/sub in process: events are serialised to JSON (as over Dapr), queued per process and delivered
/// to the subscribed handlers by <see cref="EmbeddedEventDispatcher"/>, with retries and a dead-letter table.
/// </summary>
public sealed class EmbeddedEventBus : IEventBus
{
    private readonly Channel<EventEnvelope> _channel = Channel.CreateUnbounded<EventEnvelope>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    internal ChannelReader<EventEnvelope> Reader => _channel.Reader;

    /// <summary>Events published and not yet handled (or dead-lettered).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvent);
        Enqueue(Topics.For(integrationEvent.GetType()), JsonSerializer.SerializeToUtf8Bytes(integrationEvent, integrationEvent.GetType(), MaximusJson.Options));
        return Task.CompletedTask;
    }

    public Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvents);
        foreach (var e in integrationEvents)
        {
            Enqueue(Topics.For(e.GetType()), JsonSerializer.SerializeToUtf8Bytes(e, e.GetType(), MaximusJson.Options));
        }

        return Task.CompletedTask;
    }

    /// <summary>Waits until every published event has been handled or dead-lettered.</summary>
    public async Task WaitUntilIdleAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (Pending > 0)
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"{Pending} events still pending after {timeout}.");
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    internal void Done() => Interlocked.Decrement(ref _pending);

    private void Enqueue(string topic, byte[] payload)
    {
        Interlocked.Increment(ref _pending);
        if (!_channel.Writer.TryWrite(new EventEnvelope(topic, payload)))
        {
            Interlocked.Decrement(ref _pending);
            throw new InvalidOperationException("The embedded event bus is shut down.");
        }
    }

    internal void Complete() => _channel.Writer.TryComplete();

    internal sealed record EventEnvelope(string Topic, byte[] Payload);
}

/// <summary>Delivers queued events to handlers; drains the queue on shutdown.</summary>
public sealed partial class EmbeddedEventDispatcher(
    EmbeddedEventBus bus,
    IEnumerable<EventSubscription> subscriptions,
    IServiceScopeFactory scopes,
    SqliteDatabase database,
    IOptions<EmbeddedRuntimeOptions> options,
    ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    private readonly FrozenDictionary<string, EventSubscription[]> _byTopic = subscriptions
        .GroupBy(s => s.Topic, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Runs until the channel is completed in StopAsync, so that shutdown drains what was published.
        await foreach (var envelope in bus.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            try
            {
                if (_byTopic.TryGetValue(envelope.Topic, out var subs))
                {
                    foreach (var subscription in subs)
                    {
                        await DeliverAsync(subscription, envelope).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                bus.Done();
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        bus.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DeliverAsync(EventSubscription subscription, EmbeddedEventBus.EventEnvelope envelope)
    {
        var attempts = Math.Max(1, options.Value.MaxDeliveryAttempts);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var evt = JsonSerializer.Deserialize(envelope.Payload, subscription.EventType, MaximusJson.Options)
                    ?? throw new JsonException("The event body is null.");
                await using var scope = scopes.CreateAsyncScope();
                var handlerType = typeof(IIntegrationEventHandler<>).MakeGenericType(subscription.EventType);
                var handler = scope.ServiceProvider.GetRequiredService(handlerType);
                var task = (Task)handlerType.GetMethod(nameof(IIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                    .Invoke(handler, [evt, CancellationToken.None])!;
                await task.ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < attempts && ex is not JsonException)
            {
                LogRetry(logger, ex, envelope.Topic, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 20 * Math.Pow(2, attempt)))).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogDeadLetter(logger, ex, envelope.Topic, attempt);
                using var connection = database.Open();
                SqliteDatabase.Execute(
                    connection,
                    "INSERT INTO dead_letter(topic, payload, error, at) VALUES ($t, $p, $e, $at)",
                    ("$t", envelope.Topic), ("$p", System.Text.Encoding.UTF8.GetString(envelope.Payload)), ("$e", ex.Message), ("$at", SqliteDatabase.Now()));
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling an event of {Topic} failed (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string topic, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "An event of {Topic} failed {Attempts} times and went to the dead-letter table")]
    private static partial void LogDeadLetter(ILogger logger, Exception exception, string topic, int attempts);
}
