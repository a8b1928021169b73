using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>The workflow conformance suite on the Dapr adapter, over <see cref="FakeDaprWorkflowSidecar"/>.</summary>
public sealed class DaprWorkflowHostConformanceTests : WorkflowHostConformance, IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private WorkflowTestHost? _engine;
    private FakeDaprWorkflowSidecar? _sidecar;
    private IWorkflowHost? _workflows;

    protected override IWorkflowHost Workflows => _workflows ?? throw new InvalidOperationException("Not started.");

    private FakeDaprWorkflowSidecar Sidecar => _sidecar ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        _engine = await WorkflowTestHost.StartAsync(_directory.Path);
        _sidecar = await FakeDaprWorkflowSidecar.StartAsync(_engine.Engine);
        _workflows = new DaprWorkflowHost(_sidecar.Client);
    }

    public async ValueTask DisposeAsync()
    {
        if (_sidecar is not null)
        {
            await _sidecar.DisposeAsync();
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }

        _directory.Dispose();
    }

    /// <summary>On Dapr an instance stops before finishing when it is suspended (a crashed app's instance the sidecar continues by itself).</summary>
    protected override async Task LeaveStoppedApprovalAsync(string instanceId, string input)
    {
        await Workflows.ScheduleAsync(nameof(ApprovalWorkflow), instanceId, input, Ct);
        await Sidecar.SuspendAsync(instanceId);
    }

    [Fact]
    public async Task ResumeAsync_leaves_a_running_instance_to_the_sidecar_engine_and_it_still_completes()
    {
        // What `maximus missions resume` does on Dapr for an instance that is running (or whose app crashed): nothing
        // beyond the sidecar's resume; the instance goes on by itself and still gets its events.
        var id = NewId();
        await Workflows.ScheduleAsync(nameof(ApprovalWorkflow), id, "order-11", Ct);
        await WaitUntilStartedAsync(id);

        await Workflows.ResumeAsync(id, Ct);
        var running = await Workflows.GetAsync(id, Ct);
        await Workflows.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(true, "ken"), Ct);
        var info = await WaitUntilEndedAsync(id);

        Assert.Equal(WorkflowRunStatus.Running, running?.Status);
        Assert.Equal("order-11 approved by ken", Read<string>(info.OutputJson));
    }

    [Fact]
    public async Task A_suspended_instance_reads_as_Suspended_and_gets_no_event_until_it_is_resumed()
    {
        var id = NewId();
        await LeaveStoppedApprovalAsync(id, "order-12");

        await Workflows.RaiseEventAsync(id, TestWorkflows.ApprovalEvent, new ApprovalDecision(false, "ken"), Ct);
        var suspended = await Workflows.GetAsync(id, Ct);
        await Workflows.ResumeAsync(id, Ct);

        Assert.Equal(WorkflowRunStatus.Suspended, suspended?.Status);
        Assert.Equal("order-12 rejected by ken", Read<string>((await WaitUntilEndedAsync(id)).OutputJson));
    }
}
