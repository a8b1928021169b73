using Maximus.Contracts.Missions;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Contracts.Tests;

/// <summary>
/// Every Maximus role on the embedded runtime, except that the fixture plugin's app id is invoked through
/// <see cref="FixturePluginBehindDapr"/> (over HTTP), as an out-of-process plugin is in production.
/// </summary>
internal sealed class FixtureMissionHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _dataDirectory;

    private FixtureMissionHost(IHost host, FixturePluginBehindDapr plugin, string dataDirectory)
    {
        _host = host;
        _dataDirectory = dataDirectory;
        Plugin = plugin;
    }

    public FixturePluginBehindDapr Plugin { get; }

    public IServiceInvoker Invoker => _host.Services.GetRequiredService<IServiceInvoker>();

    public static async Task<FixtureMissionHost> StartAsync()
    {
        var plugin = await FixturePluginBehindDapr.StartAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("maximus-v1-fixture-").FullName;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);

        // Registered before the embedded runtime, whose invoker is only added when none is.
        builder.Services.AddSingleton<IServiceInvoker>(sp =>
            new PluginOverDaprInvoker(sp.GetRequiredService<EmbeddedServiceInvoker>(), plugin.Invoker, FixturePluginBehindDapr.AppId));
        builder.AddMaximus(MaximusHostSettings.All(dataDirectory));
        var host = builder.Build();
        await host.StartAsync();
        return new FixtureMissionHost(host, plugin, dataDirectory);
    }

    public Task<MissionView> RunMissionAsync(string context, int seconds = 60) =>
        RunToEndAsync(Invoker, FixturePluginBehindDapr.AppId, context, seconds);

    /// <summary>Starts a mission on the plugin (no replans) through the orchestrator's API and polls it until it has ended.</summary>
    public static async Task<MissionView> RunToEndAsync(IServiceInvoker invoker, string pluginAppId, string context, int seconds = 60)
    {
        var accepted = await invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions", new MissionRequest(pluginAppId, context, "v1-fixture", MaxReplans: 0));
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var view = await invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{accepted.MissionId}");
            if (view.Status is "Succeeded" or "Failed")
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"mission {accepted.MissionId} is still {view.Status} ({view.Progress?.Phase})");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Plugin.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A SQLite file still held open is left to the temp folder's cleanup.
        }
    }

    /// <summary>The plugin's app id through the Dapr invoker; every Maximus service in process.</summary>
    private sealed class PluginOverDaprInvoker(IServiceInvoker services, IServiceInvoker plugin, string pluginAppId) : IServiceInvoker
    {
        public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default) =>
            Route(appId).InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken);

        public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            Route(appId).GetAsync<TResponse>(appId, method, cancellationToken);

        public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            Route(appId).DeleteAsync<TResponse>(appId, method, cancellationToken);

        private IServiceInvoker Route(string appId) => string.Equals(appId, pluginAppId, StringComparison.Ordinal) ? plugin : services;
    }
}
