using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>
/// What every <see cref="IWorkflowHost"/> adapter promises (the port's contract), with <see cref="TestWorkflows"/>
/// registered: a scheduled instance runs to its output, its status, input and failure read back, an event reaches the
/// instance waiting for it, an id is used once, unknown ids are named, and <see cref="IWorkflowHost.ResumeAsync"/> continues
/// an instance stopped before finishing (however its runtime stops one) and leaves a finished one alone.
/// </summary>
public abstract class WorkflowHostConformance
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract IWorkflowHost Workflows { get; }

    /// <summary>
    /// Leaves an <see cref="ApprovalWorkflow"/> instance with <paramref name="input"/> stopped before it finished, as its
    /// runtime can: on the embedded engine a process that died while the instance ran (journal: Running, no one running it);
    /// on Dapr an instance suspended at the sidecar.
    /// </summary>
    protected abstract Task LeaveStoppedApprovalAsync(string instanceId, string input);

    protected static string NewId() => "wf-" + Guid.NewGuid().ToString("N")[..12];

    protected static T? Read<T>(string? json) => json is null ? default : JsonSerializer.Deserialize<T>(json, MaximusJson.Options);

    /// <summary>Waits until the engine has picked the instance up (no longer Pending).</summary>
    protected async Task<WorkflowInstanceInfo> WaitUntilStartedAsync(string instanceId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (true)
        {
            var info = await Workflows.GetAsync(instanceId, timeout.Token);
            if (info is not null && info.Status != WorkflowRunStatus.Pending)
            {
                return info;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    protected async Task<WorkflowInstanceInfo> WaitUntilEndedAsync(string instanceId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Patience);
        while (true)
        {
            var info = await Workflows.GetAsync(instanceId, timeout.Token);
            if (info?.Status is WorkflowRunStatus.Completed or WorkflowRunStatus.Failed or WorkflowRunStatus.Terminated)
            {
                return info;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task A_scheduled_instance_runs_to_completion_and_reads_back_its_name_input_and_output()
    {
        var id = NewId();

        Assert.Equal(id, await Workflows.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("ada", 2), Ct));
        var info = await WaitUntilEndedAsync(id);

        Assert.Equal((id, nameof(GreetingWorkflow), WorkflowRunStatus.Completed), (info.InstanceId, info.WorkflowName, info.Status));
        Assert.Equal(new GreetingRequest("ada", 2), Read<GreetingRequest>(info.InputJson));
        Assert.Equal("Hello, ADAADA!", Read<string>(info.OutputJson));
        Assert.Null(info.FailureMessage);
        Assert.True(info.UpdatedAt >= info.CreatedAt);
    }

    [Fact]
    public async Task An_instance_whose_activity_throws_is_Failed_with_the_activity_message()
    {
        var id = NewId();

        await Workflows.ScheduleAsync(nameof(FailingWorkflow), id, "fuse", Ct);
        var info = await WaitUntilEndedAsync(id);

        Assert.Equal(WorkflowRunStatus.Failed, info.Status);
        Assert.Contains("the fuse of FUSE blew", info.FailureMessage, StringComparison.Ordinal);
        Assert.Null(info.OutputJson);
    }

    [Fact]
    public async Task An_unknown_instance_reads_as_null()
    {
        Assert.Null(await Workflows.GetAsync(NewId(), Ct));
    }

    [Fact]
    public async Task Scheduling_an_id_that_exists_is_an_InvalidOperationException_and_leaves_the_instance_alone()
    {
        var id = NewId();
        await Workflows.ScheduleAsync(nameof(ApprovalWorkflow), id, "first", Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Workflows.ScheduleAsync(nameof(ApprovalWorkflow), id, "second", Ct));

        await Workflows.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(true, "ada"), Ct);
        Assert.Equal("first approved by ada", Read<string>((await WaitUntilEndedAsync(id)).OutputJson));
    }

    [Fact]
    public async Task An_instance_waiting_for_an_event_is_Running_until_the_event_is_raised_and_then_completes_with_it()
    {
        var id = NewId();
        await Workflows.ScheduleAsync(nameof(ApprovalWorkflow), id, "order-7", Ct);

        var waiting = await Workflows.GetAsync(id, Ct);
        await Workflows.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(false, "grace"), Ct);
        var info = await WaitUntilEndedAsync(id);

        Assert.Contains(waiting?.Status, new WorkflowRunStatus?[] { WorkflowRunStatus.Pending, WorkflowRunStatus.Running });
        Assert.Equal(WorkflowRunStatus.Completed, info.Status);
        Assert.Equal("order-7 rejected by grace", Read<string>(info.OutputJson));
    }

    [Fact]
    public async Task Raising_an_event_for_an_unknown_instance_is_a_KeyNotFoundException()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            Workflows.RaiseEventAsync(NewId(), TestWorkflows.ApprovalEvent, new ApprovalDecision(true, "x"), Ct));
    }

    [Fact]
    public async Task Resuming_an_unknown_instance_is_a_KeyNotFoundException()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Workflows.ResumeAsync(NewId(), Ct));
    }

    [Fact]
    public async Task ResumeAsync_continues_an_instance_stopped_before_finishing_and_it_completes_with_the_event_raised_meanwhile()
    {
        var id = NewId();
        await LeaveStoppedApprovalAsync(id, "order-9");
        await Workflows.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(true, "linus"), Ct);
        var stopped = await Workflows.GetAsync(id, Ct);

        await Workflows.ResumeAsync(id, Ct);
        var info = await WaitUntilEndedAsync(id);

        Assert.NotNull(stopped);
        Assert.NotEqual(WorkflowRunStatus.Completed, stopped.Status);
        Assert.Equal(WorkflowRunStatus.Completed, info.Status);
        Assert.Equal("order-9 approved by linus", Read<string>(info.OutputJson));
    }

    [Fact]
    public async Task ResumeAsync_leaves_a_finished_instance_as_it_was_and_runs_none_of_its_activities_again()
    {
        var id = NewId();
        await Workflows.ScheduleAsync(nameof(GreetingWorkflow), id, new GreetingRequest("bo", 1), Ct);
        var finished = await WaitUntilEndedAsync(id);

        await Workflows.ResumeAsync(id, Ct);
        await Workflows.ResumeAsync(id, Ct);
        var after = await Workflows.GetAsync(id, Ct);

        Assert.Equal((WorkflowRunStatus.Completed, finished.OutputJson), (after?.Status, after?.OutputJson));
        Assert.Equal((1, 1), (ActivityRuns.Of(id, nameof(UppercaseActivity)), ActivityRuns.Of(id, nameof(RepeatActivity))));
    }
}
