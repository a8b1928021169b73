namespace Maximus.Contracts.Events;

/// <summary>Base of every integration event; published to the topic named after the concrete type.</summary>
public abstract record IntegrationEvent
{
    public string Id { get; init; } = Guid.NewGuid().ToString("N");

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>One executed step of a mission, published by the executor for asynchronous reflection.</summary>
public sealed record ExecutionLoggedIntegrationEvent(Reflection.ExecutionLog Log) : IntegrationEvent;

/// <summary>A log submitted with BATCH priority: bulk-published, bulk-subscribed by the reflector.</summary>
public sealed record ExecutionLogBatchedIntegrationEvent(Reflection.ExecutionLog Log) : IntegrationEvent;

/// <summary>A reflection was produced; memory turns its lessons into entries.</summary>
public sealed record ReflectionCompletedIntegrationEvent(Reflection.ReflectionResult Reflection) : IntegrationEvent;

/// <summary>A mission reached a terminal state.</summary>
public sealed record MissionCompletedIntegrationEvent(
    string MissionId,
    string AgentId,
    string Status,
    bool GoalReached,
    int Steps) : IntegrationEvent;
