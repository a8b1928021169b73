namespace Maximus.Contracts.Ports;

/// <summary>
/// Schedules and queries workflow instances (Dapr workflows or the embedded engine). What every adapter promises (the
/// conformance suite <c>WorkflowHostConformance</c> checks it on both): a scheduled instance runs to its output or to
/// <see cref="WorkflowRunStatus.Failed"/> with the failing activity's message; an instance id is used once; an unknown id
/// reads as null and is a <see cref="KeyNotFoundException"/> for the calls that act on an instance.
/// </summary>
public interface IWorkflowHost
{
    /// <summary>Schedules <paramref name="workflowName"/> under <paramref name="instanceId"/> and returns the id.</summary>
    /// <exception cref="InvalidOperationException">An instance with this id exists already (it is left as it was).</exception>
    Task<string> ScheduleAsync(string workflowName, string instanceId, object input, CancellationToken cancellationToken = default);

    /// <summary>The instance's status, input, output, custom status and failure; null for an unknown id.</summary>
    Task<WorkflowInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Continues an instance that stopped before finishing, however its runtime stops one; a finished instance is left
    /// alone and none of its activities runs again. This is what <c>maximus missions resume</c> calls. What it does on each runtime:
    /// <list type="bullet">
    /// <item>embedded engine: an instance the journal holds as <see cref="WorkflowRunStatus.Pending"/>,
    /// <see cref="WorkflowRunStatus.Running"/> (its process was killed, and the host was started without
    /// <c>ResumeWorkflowsOnStart</c>) or <see cref="WorkflowRunStatus.Suspended"/> is replayed from its journal in this
    /// process: completed activities and consumed events are read back, not run again;</item>
    /// <item>Dapr: the sidecar's resume, the counterpart of suspend, which continues a
    /// <see cref="WorkflowRunStatus.Suspended"/> instance and changes nothing else. An instance whose app crashed is not
    /// suspended: it stays <see cref="WorkflowRunStatus.Running"/> and the sidecar's engine continues it by itself once an
    /// app with the workflow registered runs again, so resume has nothing to do for it.</item>
    /// </list>
    /// </summary>
    /// <exception cref="KeyNotFoundException">No instance has this id.</exception>
    Task ResumeAsync(string instanceId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends an event to the instance; one that waits for <paramref name="eventName"/> receives it, and an event raised
    /// before the instance waits for it (or while it is stopped) is kept for it.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No instance has this id.</exception>
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
