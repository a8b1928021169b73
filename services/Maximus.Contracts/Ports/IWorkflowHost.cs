namespace Maximus.Contracts.Ports;

/// <summary>Schedules and queries workflow instances (Dapr workflows or the embedded engine).</summary>
public interface IWorkflowHost
{
    Task<string> ScheduleAsync(string workflowName, string instanceId, object input, CancellationToken cancellationToken = default);

    Task<WorkflowInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Continues an instance that stopped before finishing. The adapters differ: the embedded engine replays an instance
    /// that is <see cref="WorkflowRunStatus.Pending"/>, <see cref="WorkflowRunStatus.Running"/> (its process crashed) or
    /// <see cref="WorkflowRunStatus.Suspended"/> from its journal, and leaves a finished one alone; the Dapr adapter calls
    /// the sidecar's resume, the counterpart of suspend, which changes only a suspended instance. A Dapr instance whose
    /// app crashed is resumed by the sidecar's engine itself once an app with the workflow registered runs again.
    /// </summary>
    Task ResumeAsync(string instanceId, CancellationToken cancellationToken = default);

    Task RaiseEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default);
}

public enum WorkflowRunStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
    Suspended,
}

/// <summary>A snapshot of a workflow instance; input, output and custom status are JSON.</summary>
public sealed record WorkflowInstanceInfo(
    string InstanceId,
    string WorkflowName,
    WorkflowRunStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? InputJson,
    string? OutputJson,
    string? CustomStatusJson,
    string? FailureMessage);
