using Dapr.Workflow;
using Grpc.Core;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Dapr;

/// <summary>
/// The workflow port on Dapr workflows. The sidecar's gRPC errors become the port's: an id in use
/// <see cref="InvalidOperationException"/>, an unknown instance <see cref="KeyNotFoundException"/>.
/// </summary>
public sealed class DaprWorkflowHost(DaprWorkflowClient client) : IWorkflowHost
{
    public async Task<string> ScheduleAsync(string workflowName, string instanceId, object input, CancellationToken cancellationToken = default)
    {
        try
        {
            return await client.ScheduleNewWorkflowAsync(workflowName, instanceId, input, null, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists || ex.Status.Detail.Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"A workflow instance '{instanceId}' exists already.", ex);
        }
    }

    public async Task<WorkflowInstanceInfo?> GetAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var state = await client.GetWorkflowStateAsync(instanceId, true, cancellationToken).ConfigureAwait(false);
        if (state is null || !state.Exists)
        {
            return null;
        }

        return new WorkflowInstanceInfo(
            instanceId,
            state.WorkflowName ?? "",
            Map(state.RuntimeStatus),
            state.CreatedAt,
            state.LastUpdatedAt,
            Raw(() => state.ReadInputAs<System.Text.Json.JsonElement>()),
            Raw(() => state.ReadOutputAs<System.Text.Json.JsonElement>()),
            Raw(() => state.ReadCustomStatusAs<System.Text.Json.JsonElement>()),
            state.FailureDetails?.ErrorMessage);
    }

    /// <summary>The sidecar's resume, the counterpart of suspend: a running instance (also one whose app crashed) is the sidecar engine's to continue.</summary>
    public Task ResumeAsync(string instanceId, CancellationToken cancellationToken = default) =>
        NamedAsync(instanceId, () => client.ResumeWorkflowAsync(instanceId, "resumed by maximus", cancellationToken));

    public Task RaiseEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default) =>
        NamedAsync(instanceId, () => client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken));

    private static async Task NamedAsync(string instanceId, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound || ex.Status.Detail.Contains("no such instance", StringComparison.OrdinalIgnoreCase))
        {
            throw new KeyNotFoundException($"No workflow instance '{instanceId}'.", ex);
        }
    }

    private static string? Raw(Func<System.Text.Json.JsonElement> read)
    {
        try
        {
            var element = read();
            return element.ValueKind is System.Text.Json.JsonValueKind.Undefined or System.Text.Json.JsonValueKind.Null ? null : element.GetRawText();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static WorkflowRunStatus Map(WorkflowRuntimeStatus status) => status switch
    {
        WorkflowRuntimeStatus.Running => WorkflowRunStatus.Running,
        WorkflowRuntimeStatus.Completed => WorkflowRunStatus.Completed,
        WorkflowRuntimeStatus.Failed => WorkflowRunStatus.Failed,
        WorkflowRuntimeStatus.Terminated => WorkflowRunStatus.Terminated,
        WorkflowRuntimeStatus.Suspended => WorkflowRunStatus.Suspended,
        _ => WorkflowRunStatus.Pending,
    };
}
