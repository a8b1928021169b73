using System.Collections.Concurrent;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Plugins.Pddl;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Missions.Tests;

/// <summary>Every role on the embedded runtime, plus a scripted test plugin (an app of PDDL environments the test controls).</summary>
internal sealed class MissionHost : IAsyncDisposable
{
    private MissionHost(IHost host, TestPlugin plugin)
    {
        Host = host;
        Plugin = plugin;
    }

    public IHost Host { get; }

    public TestPlugin Plugin { get; }

    public IServiceInvoker Invoker => Host.Services.GetRequiredService<IServiceInvoker>();

    /// <summary>Starts every role over <paramref name="dataDir"/> (a fresh one when null; the same one again is a restart).</summary>
    public static async Task<MissionHost> StartAsync(TestPlugin plugin, string? dataDir = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("maximus-missions-").FullName;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(MaximusHostSettings.All(dataDir));
        builder.Services.AddServiceOperations(plugin.Operations());
        var host = builder.Build();
        await host.StartAsync();
        return new MissionHost(host, plugin) { DataDir = dataDir };
    }

    public string DataDir { get; private init; } = "";

    public async Task<string> StartMissionAsync(string context, int maxReplans = 3, int approvalTimeoutSeconds = 300)
    {
        var accepted = await Invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions",
            new MissionRequest(Plugin.AppId, context, "tester", MaxReplans: maxReplans, ApprovalTimeoutSeconds: approvalTimeoutSeconds));
        return accepted.MissionId;
    }

    public async Task<MissionView> WaitAsync(string missionId, Func<MissionView, bool>? until = null, int seconds = 30)
    {
        until ??= v => v.Status is "Succeeded" or "Failed";
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var view = await Invoker.GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{missionId}");
            if (until(view))
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"mission {missionId} is still {view.Status} ({view.Progress?.Phase})");
            await Task.Delay(10);
        }
    }

    public async Task<MissionResult> RunAsync(string context, int maxReplans = 3)
    {
        var view = await WaitAsync(await StartMissionAsync(context, maxReplans));
        return view.Result ?? throw new InvalidOperationException($"mission ended without a result: {view.Failure}");
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}

/// <summary>
/// A plugin app made of PDDL environments under the test's control: the manifest can come from a different
/// (declared) domain than the one that really runs, actions can be marked risky, and a hook can change the
/// world behind the mission's back.
/// </summary>
internal sealed class TestPlugin(string appId, Func<PluginAction, bool>? risky = null)
{
    private readonly ConcurrentDictionary<string, (PddlEnvironment Real, PluginManifest Manifest)> _environments = new(StringComparer.Ordinal);

    public string AppId { get; } = appId;

    /// <summary>Called after each applied action, with the environment id, the action name and the environment.</summary>
    public Action<string, string, PddlEnvironment>? AfterAction { get; set; }

    public List<string> Executed { get; } = [];

    /// <summary>Steps the plugin refused (a precondition did not hold), in PDDL form.</summary>
    public List<string> Refused { get; } = [];

    public string Add(string realDomain, string problem, string? declaredDomain = null, string? declaredProblem = null)
    {
        var id = $"env-{_environments.Count + 1}";
        var real = PddlEnvironment.Create(realDomain, problem);
        var declared = declaredDomain is null ? real : PddlEnvironment.Create(declaredDomain, declaredProblem ?? problem);
        var manifest = declared.Manifest(AppId, "1.0.0");
        if (risky is not null)
        {
            manifest = manifest with { Actions = manifest.Actions.Select(a => a with { Risky = risky(a) }).ToList() };
        }

        _environments[id] = (real, manifest);
        return id;
    }

    public IEnumerable<ServiceOperation> Operations() =>
    [
        ServiceOperation.Get(AppId, PluginContract.ManifestMethod, call => Task.FromResult(_environments[call.QueryValue("context")!].Manifest)),
        ServiceOperation.Get(AppId, PluginContract.StateMethod, call => Task.FromResult(_environments[call.QueryValue("context")!].Real.State())),
        ServiceOperation.Post<ActionRequest, ActionResult>(AppId, "plugin/actions/{name}", (request, call) =>
        {
            var env = _environments[request.Context!].Real;
            var result = env.Apply(request, call.Route("name"));
            if (result.Outcome == ActionOutcome.Failed)
            {
                lock (Refused)
                {
                    Refused.Add(call.Route("name"));
                }
            }
            if (result.Outcome == ActionOutcome.Succeeded && !result.Replayed)
            {
                lock (Executed)
                {
                    Executed.Add(call.Route("name"));
                }

                AfterAction?.Invoke(request.Context!, call.Route("name"), env);
                result = result with { State = env.State() };
            }

            return Task.FromResult(result);
        }),
    ];
}
