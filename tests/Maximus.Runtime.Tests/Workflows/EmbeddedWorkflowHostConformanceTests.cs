using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>The workflow conformance suite on the embedded engine (SQLite journal on a temp folder).</summary>
public sealed class EmbeddedWorkflowHostConformanceTests : WorkflowHostConformance, IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private WorkflowTestHost? _host;

    protected override IWorkflowHost Workflows => Host.Engine;

    private WorkflowTestHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _host = await WorkflowTestHost.StartAsync(_directory.Path);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _directory.Dispose();
    }

    /// <summary>What a killed process leaves: the instance in the journal, Running, and no process running it.</summary>
    protected override Task LeaveStoppedApprovalAsync(string instanceId, string input)
    {
        Host.Journal.CreateInstance(instanceId, nameof(ApprovalWorkflow), JsonSerializer.Serialize(input, MaximusJson.Options));
        Host.Journal.SetStatus(instanceId, WorkflowRunStatus.Running);
        return Task.CompletedTask;
    }
}
