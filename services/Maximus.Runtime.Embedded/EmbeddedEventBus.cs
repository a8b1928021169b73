using System.Collections.Frozen;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Runtime.Embedded;

/// <summary>
/// Pub/sub in process: events are serialised to JSON (as over Dapr), queued, and delivered to the subscribed
/// handlers by <see cref="EmbeddedEventDispatcher"/> (concurrently, with retries and a dead-letter table).
/// A bulk publish stays one batch, so a bulk subscriber receives it as one delivery, as with Dapr bulk subscribe.
/// </summary>
/// <remarks>
/// Durable like a broker: a published event is written to the runtime's database (<c>event_pending</c>) before the
/// publish returns and removed once it has been handled (or dead-lettered); a process killed in between delivers it
/// when it starts again (at least once, as Dapr pub/sub). A publisher that drops its own copy once the publish
/// returned (the reflection client's outbox) therefore loses nothing to a crash. Without a database (a bus made by
/// hand in a test) events live in memory only.
/// </remarks>
public sealed class EmbeddedEventBus : IEventBus
{
    private readonly Channel<EventEnvelope> _channel = Channel.CreateUnbounded<EventEnvelope>();
    private readonly SqliteDatabase? _database;
    private long _pending;

    /// <summary>A bus in memory only: what is published and not yet handled is lost with the process.</summary>
    public EmbeddedEventBus()
        : this(null)
    {
    }

    /// <summary>A bus that keeps every event in <paramref name="database"/> until it is handled; what a previous process left is queued again now.</summary>
    public EmbeddedEventBus(SqliteDatabase? database)
    {
        _database = database;
        if (database is not null)
        {
            foreach (var envelope in Unhandled(database))
            {
                Queue(envelope);
            }
        }
    }

    internal ChannelReader<EventEnvelope> Reader => _channel.Reader;

    /// <summary>Events published and not yet handled (or dead-lettered).</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public Task PublishAsync<TEvent>(TEvent integrationEvent, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvent);
        Enqueue(Topics.For(integrationEvent.GetType()), [Serialize(integrationEvent)], bulk: false);
        return Task.CompletedTask;
    }

    public Task PublishBulkAsync<TEvent>(IReadOnlyList<TEvent> integrationEvents, CancellationToken cancellationToken = default)
        where TEvent : IntegrationEvent
    {
        ArgumentNullException.ThrowIfNull(integrationEvents);
        foreach (var group in integrationEvents.GroupBy(e => e.GetType()))
        {
            Enqueue(Topics.For(group.Key), group.Select(e => Serialize(e)).ToList(), bulk: true);
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

    /// <summary>The envelope was handled or dead-lettered: it is no longer kept.</summary>
    internal void Done(EventEnvelope envelope)
    {
        try
        {
            if (envelope.StoredId is { } id)
            {
                Forget(id);
            }
        }
        catch (SqliteException)
        {
            // The kept copy could not be dropped (a full disk, say): it is delivered again at the next start (at least
            // once), and the delivery worker goes on instead of failing the dispatcher.
        }
        finally
        {
            Interlocked.Add(ref _pending, -envelope.Payloads.Count);
        }
    }

    internal void Complete() => _channel.Writer.TryComplete();

    private static byte[] Serialize(IntegrationEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, e.GetType(), MaximusJson.Options);

    private void Enqueue(string topic, IReadOnlyList<byte[]> payloads, bool bulk)
    {
        long? stored = null;
        if (_database is not null)
        {
            // Kept before the publish returns: the payloads as one JSON array of the events' own JSON.
            var json = "[" + string.Join(",", payloads.Select(p => Encoding.UTF8.GetString(p))) + "]";
            stored = _database.Write(connection => (long)Sql.Scalar(
                connection,
                "INSERT INTO event_pending(topic, bulk, payloads) VALUES ($t, $b, $p); SELECT last_insert_rowid();",
                ("$t", topic), ("$b", bulk ? 1 : 0), ("$p", json))!);
        }

        if (!Queue(new EventEnvelope(topic, payloads, bulk, stored)))
        {
            if (stored is { } id)
            {
                Forget(id);
            }

            throw new InvalidOperationException("The embedded event bus is shut down.");
        }
    }

    /// <summary>Drops the kept copy of an event (a stored id exists only on a bus with a database).</summary>
    private void Forget(long id) =>
        _database!.Write(connection => Sql.Execute(connection, "DELETE FROM event_pending WHERE id = $id", ("$id", id)));

    private bool Queue(EventEnvelope envelope)
    {
        Interlocked.Add(ref _pending, envelope.Payloads.Count);
        if (_channel.Writer.TryWrite(envelope))
        {
            return true;
        }

        Interlocked.Add(ref _pending, -envelope.Payloads.Count);
        return false;
    }

    private static List<EventEnvelope> Unhandled(SqliteDatabase database)
    {
        var envelopes = new List<EventEnvelope>();
        using var connection = database.Open();
        using var command = Sql.Command(connection, "SELECT id, topic, bulk, payloads FROM event_pending ORDER BY id");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            using var payloads = JsonDocument.Parse(reader.GetString(3));
            envelopes.Add(new EventEnvelope(
                reader.GetString(1),
                [.. payloads.RootElement.EnumerateArray().Select(e => Encoding.UTF8.GetBytes(e.GetRawText()))],
                reader.GetInt64(2) != 0,
                reader.GetInt64(0)));
        }

        return envelopes;
    }

    internal sealed record EventEnvelope(string Topic, IReadOnlyList<byte[]> Payloads, bool Bulk, long? StoredId = null);
}

/// <summary>A dead-lettered event: its topic, JSON and the last error.</summary>
public sealed record DeadLetter(long Id, string Topic, string Payload, string Error, DateTimeOffset At);

/// <summary>The embedded runtime's dead-letter topic, kept in SQLite.</summary>
public sealed class DeadLetterStore(SqliteDatabase database)
{
    public void Add(string topic, string payload, string error)
    {
        database.Write(connection => Sql.Execute(
            connection,
            "INSERT INTO dead_letter(topic, payload, error, at) VALUES ($t, $p, $e, $at)",
            ("$t", topic), ("$p", payload), ("$e", error), ("$at", SqliteDatabase.Now())));
    }

    public IReadOnlyList<DeadLetter> List(int limit = 1000)
    {
        using var connection = database.Open();
        using var command = Sql.Command(connection, "SELECT id, topic, payload, error, at FROM dead_letter ORDER BY id DESC LIMIT $n", ("$n", limit));
        using var reader = command.ExecuteReader();
        var letters = new List<DeadLetter>();
        while (reader.Read())
        {
            letters.Add(new DeadLetter(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                DateTimeOffset.Parse(reader.GetString(4), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return letters;
    }
}

/// <summary>
/// Delivers queued events to handlers with <see cref="EmbeddedRuntimeOptions.MaxConcurrentDeliveries"/> workers.
/// A failing delivery is retried with backoff up to <see cref="EmbeddedRuntimeOptions.MaxDeliveryAttempts"/> times;
/// a poison event (unreadable, <see cref="PoisonEventException"/>, a 4xx <see cref="ProblemException"/>, or a
/// bulk DROP) goes to the dead-letter table at once. Shutdown drains the queue.
/// </summary>
public sealed partial class EmbeddedEventDispatcher(
    EmbeddedEventBus bus,
    IEnumerable<EventSubscription> subscriptions,
    IServiceScopeFactory scopes,
    DeadLetterStore deadLetters,
    IOptions<EmbeddedRuntimeOptions> options,
    ILogger<EmbeddedEventDispatcher> logger) : BackgroundService
{
    private readonly FrozenDictionary<string, EventSubscription[]> _byTopic = subscriptions
        .GroupBy(s => s.Topic, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Workers run until the channel is completed in StopAsync, so that shutdown drains what was published.
        var workers = Enumerable.Range(0, Math.Max(1, options.Value.MaxConcurrentDeliveries)).Select(_ => Task.Run(async () =>
        {
            await foreach (var envelope in bus.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                try
                {
                    if (_byTopic.TryGetValue(envelope.Topic, out var subs))
                    {
                        foreach (var subscription in subs)
                        {
                            if (subscription.Bulk)
                            {
                                await DeliverBulkAsync(subscription, envelope).ConfigureAwait(false);
                            }
                            else
                            {
                                foreach (var payload in envelope.Payloads)
                                {
                                    await DeliverAsync(subscription, envelope.Topic, payload).ConfigureAwait(false);
                                }
                            }
                        }
                    }
                }
                finally
                {
                    bus.Done(envelope);
                }
            }
        }));
        return Task.WhenAll(workers);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        bus.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DeliverAsync(EventSubscription subscription, string topic, byte[] payload)
    {
        var attempts = Math.Max(1, options.Value.MaxDeliveryAttempts);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var evt = JsonSerializer.Deserialize(payload, subscription.EventType, MaximusJson.Options)
                    ?? throw new PoisonEventException("The event body is null.");
                await using var scope = scopes.CreateAsyncScope();
                var handlerType = typeof(IIntegrationEventHandler<>).MakeGenericType(subscription.EventType);
                var handler = scope.ServiceProvider.GetRequiredService(handlerType);
                var task = (Task)handlerType.GetMethod(nameof(IIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                    .Invoke(handler, [evt, CancellationToken.None])!;
                await task.ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < attempts && !IsPoison(ex))
            {
                LogRetry(logger, ex, topic, attempt);
                await Task.Delay(Backoff(attempt)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                DeadLetter(topic, payload, ex, attempt);
                return;
            }
        }
    }

    private async Task DeliverBulkAsync(EventSubscription subscription, EmbeddedEventBus.EventEnvelope envelope)
    {
        var attempts = Math.Max(1, options.Value.MaxDeliveryAttempts);
        var pending = new List<(byte[] Payload, IntegrationEvent Event)>();
        foreach (var payload in envelope.Payloads)
        {
            try
            {
                pending.Add((payload, (IntegrationEvent?)JsonSerializer.Deserialize(payload, subscription.EventType, MaximusJson.Options)
                    ?? throw new PoisonEventException("The event body is null.")));
            }
            catch (Exception ex) when (ex is JsonException or PoisonEventException)
            {
                DeadLetter(envelope.Topic, payload, ex, 1);
            }
        }

        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            IReadOnlyList<BulkEventStatus> statuses;
            Exception? failure = null;
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var handlerType = typeof(IBulkIntegrationEventHandler<>).MakeGenericType(subscription.EventType);
                var handler = scope.ServiceProvider.GetRequiredService(handlerType);
                var typed = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(subscription.EventType))!;
                foreach (var (_, e) in pending)
                {
                    typed.Add(e);
                }

                var task = (Task<IReadOnlyList<BulkEventStatus>>)handlerType.GetMethod(nameof(IBulkIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                    .Invoke(handler, [typed, CancellationToken.None])!;
                statuses = await task.ConfigureAwait(false);
                if (statuses.Count != pending.Count)
                {
                    throw new InvalidOperationException($"The bulk handler answered {statuses.Count} statuses for {pending.Count} events.");
                }
            }
            catch (Exception ex)
            {
                failure = ex;
                statuses = pending.Select(_ => IsPoison(ex) ? BulkEventStatus.Drop : BulkEventStatus.Retry).ToList();
            }

            var retry = new List<(byte[] Payload, IntegrationEvent Event)>();
            for (var i = 0; i < pending.Count; i++)
            {
                switch (statuses[i])
                {
                    case BulkEventStatus.Drop:
                        DeadLetter(envelope.Topic, pending[i].Payload, failure ?? new PoisonEventException("The handler dropped the event."), attempt);
                        break;
                    case BulkEventStatus.Retry when attempt >= attempts:
                        DeadLetter(envelope.Topic, pending[i].Payload, failure ?? new InvalidOperationException("The handler asked for a retry."), attempt);
                        break;
                    case BulkEventStatus.Retry:
                        retry.Add(pending[i]);
                        break;
                }
            }

            pending = retry;
            if (pending.Count > 0)
            {
                LogBulkRetry(logger, envelope.Topic, pending.Count, attempt);
                await Task.Delay(Backoff(attempt)).ConfigureAwait(false);
            }
        }
    }

    private void DeadLetter(string topic, byte[] payload, Exception ex, int attempts)
    {
        LogDeadLetter(logger, ex, topic, attempts);
        deadLetters.Add(topic, System.Text.Encoding.UTF8.GetString(payload), ex.Message);
    }

    private static bool IsPoison(Exception ex) =>
        ex is JsonException or PoisonEventException || (ex is ProblemException p && p.Status is >= 400 and < 500);

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(2000, 20 * Math.Pow(2, attempt)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling an event of {Topic} failed (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string topic, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} event(s) of a bulk delivery on {Topic} asked for a retry (attempt {Attempt})")]
    private static partial void LogBulkRetry(ILogger logger, string topic, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "An event of {Topic} went to the dead-letter topic after {Attempts} attempt(s)")]
    private static partial void LogDeadLetter(ILogger logger, Exception exception, string topic, int attempts);
}
