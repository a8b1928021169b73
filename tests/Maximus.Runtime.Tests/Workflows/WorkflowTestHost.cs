using Maximus.Runtime.Embedded;
using Maximus.Runtime.Embedded.Workflows;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Runtime.Tests.Workflows;

/// <summary>A generic host with the embedded runtime and <see cref="TestWorkflows"/> registered, over a given data folder.</summary>
public sealed class WorkflowTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkflowTestHost(IHost host) => _host = host;

    public EmbeddedWorkflowEngine Engine => _host.Services.GetRequiredService<EmbeddedWorkflowEngine>();

    public WorkflowJournal Journal => _host.Services.GetRequiredService<WorkflowJournal>();

    public static async Task<WorkflowTestHost> StartAsync(string dataDirectory, bool resumeOnStart = false, int maxConcurrentActivities = 0, int resumeWave = 0)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddEmbeddedRuntime(o =>
        {
            o.DataDirectory = dataDirectory;
            o.ResumeWorkflowsOnStart = resumeOnStart;
            o.MaxConcurrentActivities = maxConcurrentActivities;
            o.ResumeWave = resumeWave;
        });
        builder.Services.AddTestWorkflows();
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new WorkflowTestHost(host);
    }

    /// <summary>Waits (at most 15 s) until the instance has ended.</summary>
    public async Task<WorkflowInstanceRow> WaitForCompletionAsync(string instanceId)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        return await Engine.WaitForCompletionAsync(instanceId, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
