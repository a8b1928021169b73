using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;

namespace Maximus.Reflection;

/// <summary>Reflects on a log once (idempotent by log id), stores the reflection and publishes its lessons.</summary>
public sealed class ReflectionService(IReflector reflector, IStateStore state, IEventBus bus)
{
    public static string Key(string logId) => $"reflection:{logId}";

    public async Task<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken)
    {
        Validate(log);
        var existing = await state.GetAsync<ReflectionResult>(Key(log.LogId), cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        var reflection = reflector.Reflect(log);
        if (!await state.TrySaveAsync(Key(log.LogId), reflection, null, cancellationToken).ConfigureAwait(false))
        {
            // Another delivery of the same log won the race: its reflection is the one.
            return (await state.GetAsync<ReflectionResult>(Key(log.LogId), cancellationToken).ConfigureAwait(false))!;
        }

        await bus.PublishAsync(new ReflectionCompletedIntegrationEvent(reflection) { Id = $"reflection-{log.LogId}" }, cancellationToken)
            .ConfigureAwait(false);
        return reflection;
    }

    public Task<ReflectionResult?> GetAsync(string logId, CancellationToken cancellationToken) =>
        state.GetAsync<ReflectionResult>(Key(logId), cancellationToken);

    public static void Validate(ExecutionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        Require(log.LogId, "logId", 128);
        Require(log.MissionId, "missionId", 128);
        Require(log.AgentId, "agentId", 64);
        Require(log.Action, "action", 2000);
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

/// <summary>The asynchronous path: logs published by the executor are reflected here.</summary>
public sealed class ExecutionLoggedHandler(ReflectionService reflection) : IIntegrationEventHandler<ExecutionLoggedIntegrationEvent>
{
    public Task HandleAsync(ExecutionLoggedIntegrationEvent integrationEvent, CancellationToken cancellationToken) =>
        reflection.ReflectAsync(integrationEvent.Log, cancellationToken);
}
