using System.Diagnostics;
using System.Diagnostics.Metrics;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;

namespace Maximus.Reflection;

/// <summary>Reflects on a log once (idempotent by log id), stores the reflection and publishes its lessons.</summary>
public sealed class ReflectionService(IReflector reflector, IStateStore state, IEventBus bus, TimeProvider time)
{
    public const string TelemetryName = "Maximus.Reflection";

    private static readonly ActivitySource Source = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Histogram<double> EndToEnd = Meter.CreateHistogram<double>(
        "maximus.reflection.end_to_end.duration", "ms", "From the log's timestamp to its stored reflection");
    private static readonly Counter<long> Reflected = Meter.CreateCounter<long>("maximus.reflection.reflected", "{log}", "Logs reflected");

    public static string Key(string logId) => $"reflection:{logId}";

    public async Task<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken)
    {
        Validate(log);
        using var activity = Source.StartActivity("reflect", ActivityKind.Consumer, log.TraceParent);
        activity?.SetTag("maximus.log_id", log.LogId);
        activity?.SetTag("maximus.priority", log.Priority.ToString());
        var existing = await state.GetAsync<ReflectionResult>(Key(log.LogId), cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            activity?.SetTag("maximus.duplicate", true);
            return existing;
        }

        var reflection = await reflector.ReflectAsync(log, cancellationToken).ConfigureAwait(false);
        if (!await state.TrySaveAsync(Key(log.LogId), reflection, null, cancellationToken).ConfigureAwait(false))
        {
            // Another delivery of the same log won the race: its reflection is the one.
            return (await state.GetAsync<ReflectionResult>(Key(log.LogId), cancellationToken).ConfigureAwait(false))!;
        }

        EndToEnd.Record((time.GetUtcNow() - log.Timestamp).TotalMilliseconds, new KeyValuePair<string, object?>("priority", log.Priority.ToString()));
        Reflected.Add(1, new KeyValuePair<string, object?>("reflector", reflection.Reflector));
        await bus.PublishAsync(new ReflectionCompletedIntegrationEvent(reflection) { Id = $"reflection-{log.LogId}" }, cancellationToken)
            .ConfigureAwait(false);
        return reflection;
    }

    public Task<ReflectionResult?> GetAsync(string logId, CancellationToken cancellationToken) =>
        state.GetAsync<ReflectionResult>(Key(logId), cancellationToken);

    /// <summary>Refuses a log that can never be reflected (400): such a log is dead-lettered, not retried.</summary>
    public static void Validate(ExecutionLog log)
    {
        if (log is null)
        {
            throw ProblemException.Invalid("log", "is required.");
        }

        Require(log.LogId, "logId", 200);
        Require(log.MissionId, "missionId", 200);
        if (!AgentIds.IsValid(log.AgentId))
        {
            // Its lessons would be refused by memory (and dead-lettered) after this request was accepted.
            throw ProblemException.Invalid("agentId", AgentIds.Rule);
        }

        Require(log.Action, "action", 2000);
        if (!Enum.IsDefined(log.Priority))
        {
            throw ProblemException.Invalid("priority", "must be Critical, High or Batch.");
        }

        if (log.DurationMs < 0 || double.IsNaN(log.DurationMs))
        {
            throw ProblemException.Invalid("durationMs", "must be zero or more.");
        }

        if (log.Observation is { Length: > 16_000 })
        {
            throw ProblemException.Invalid("observation", "must be at most 16000 characters.");
        }

        if (log.Error is { Length: > 16_000 })
        {
            throw ProblemException.Invalid("error", "must be at most 16000 characters.");
        }
    }

    private static void Require(string? value, string field, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw ProblemException.Invalid(field, "is required.");
        }

        if (value.Length > max)
        {
            throw ProblemException.Invalid(field, $"must be at most {max} characters.");
        }
    }
}

/// <summary>The HIGH path: logs published one by one are reflected here.</summary>
public sealed class ExecutionLoggedHandler(ReflectionService reflection) : IIntegrationEventHandler<ExecutionLoggedIntegrationEvent>
{
    public Task HandleAsync(ExecutionLoggedIntegrationEvent integrationEvent, CancellationToken cancellationToken) =>
        reflection.ReflectAsync(integrationEvent.Log, cancellationToken);
}

/// <summary>The BATCH path (bulk subscribe): a batch is reflected in parallel, with one status per log.</summary>
public sealed class ExecutionLogBatchedHandler(ReflectionService reflection) : IBulkIntegrationEventHandler<ExecutionLogBatchedIntegrationEvent>
{
    public async Task<IReadOnlyList<BulkEventStatus>> HandleAsync(IReadOnlyList<ExecutionLogBatchedIntegrationEvent> integrationEvents, CancellationToken cancellationToken) =>
        await Task.WhenAll(integrationEvents.Select(async e =>
        {
            try
            {
                await reflection.ReflectAsync(e.Log, cancellationToken).ConfigureAwait(false);
                return BulkEventStatus.Success;
            }
            catch (ProblemException p) when (p.Status is >= 400 and < 500)
            {
                return BulkEventStatus.Drop;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return BulkEventStatus.Retry;
            }
        })).ConfigureAwait(false);
}
