using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Plugins.Mcp.Tests;

/// <summary>Every role, the mcp-bridge among them, on the embedded runtime, with the MCP servers the test configures.</summary>
internal sealed class BridgeHost : IAsyncDisposable
{
    private readonly IHost _host;

    private BridgeHost(IHost host, string dataDir)
    {
        _host = host;
        DataDir = dataDir;
    }

    public string DataDir { get; }

    public IServiceProvider Services => _host.Services;

    public IServiceInvoker Invoker => _host.Services.GetRequiredService<IServiceInvoker>();

    /// <summary>Starts the host with <paramref name="settings"/> as configuration (keys under <c>Maximus:Plugins:Mcp:</c>).</summary>
    public static async Task<BridgeHost> StartAsync(IDictionary<string, string?> settings)
    {
        var dataDir = Directory.CreateTempSubdirectory("maximus-mcp-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(MaximusHostSettings.All(dataDir));
        var host = builder.Build();
        await host.StartAsync();
        return new BridgeHost(host, dataDir);
    }

    public static Dictionary<string, string?> Stdio(string name, string command, params string[] args)
    {
        var settings = new Dictionary<string, string?> { [$"Maximus:Plugins:Mcp:{name}:Command"] = command };
        for (var i = 0; i < args.Length; i++)
        {
            settings[$"Maximus:Plugins:Mcp:{name}:Args:{i}"] = args[i];
        }

        return settings;
    }

    public Task<PluginManifest> ManifestAsync(string server) =>
        Invoker.GetAsync<PluginManifest>(AppIds.McpBridge, PluginContract.WithContext(PluginContract.ManifestMethod, server), TestContext.Current.CancellationToken);

    public Task<ActionResult> ActAsync(string server, string tool, IReadOnlyDictionary<string, string> arguments, string? requestId = null) =>
        Invoker.InvokeAsync<ActionRequest, ActionResult>(
            AppIds.McpBridge, PluginContract.ActionMethod(tool), new ActionRequest(requestId ?? Guid.NewGuid().ToString("N"), arguments, server), TestContext.Current.CancellationToken);

    public async Task<MissionView> RunStepsAsync(string server, IReadOnlyList<PlanStep> steps, string agentId = "tester")
    {
        var accepted = await Invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions", new MissionRequest(AppIds.McpBridge, server, agentId, Steps: steps));
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var view = await Invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{accepted.MissionId}");
            if (view.Status is "Succeeded" or "Failed")
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"mission {accepted.MissionId} is still {view.Status} ({view.Progress?.Phase})");
            await Task.Delay(20);
        }
    }

    public static PlanStep Step(string action, params (string Name, string Value)[] arguments) =>
        new(action, arguments.Select(a => new StepArgument(a.Name, a.Value)).ToList());

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A server may still hold a file for a moment; the temp folder is left behind.
        }
    }
}
