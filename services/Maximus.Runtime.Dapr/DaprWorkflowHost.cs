using Dapr.Workflow;
using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Dapr;

/// <summary>The workflow port on Dapr workflows.</summary>
public sealed class DaprWorkflowHost(DaprWorkflowClient client) : IWorkflowHost
{
    public Task<string> ScheduleAsync(string workflowName, string instanceId, object input, CancellationToken cancellationToken = default) =>
        client.ScheduleNewWorkflowAsync(workflowName, instanceId, input, null, cancellationToken);

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

    public Task ResumeAsync(string instanceId, CancellationToken cancellationToken = default) =>
        client.ResumeWorkflowAsync(instanceId, "resumed by maximus", cancellationToken);

    public Task RaiseEventAsync(string instanceId, string eventName, object? payload, CancellationToken cancellationToken = default) =>
        client.RaiseEventAsync(instanceId, eventName, payload, cancellationToken);

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
