using System.Collections.Concurrent;
using System.Net.Http.Json;
using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Plugins.Pddl;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Ui.Tests;

/// <summary>
/// The host as <c>Maximus.Host --role all --runtime embedded</c> builds it (the same calls as its Program), on a real
/// Kestrel port of 127.0.0.1 so that a browser can reach it, over a temporary data folder, with a test plugin app
/// (<c>risky-env</c>: PDDL environments whose <c>stack</c> is risky).
/// </summary>
internal sealed class UiHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private UiHost(WebApplication app, string dataDirectory, RiskyPlugin plugin)
    {
        _app = app;
        DataDirectory = dataDirectory;
        Plugin = plugin;
        Address = app.Urls.First().TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(Address) };
    }

    public string Address { get; }

    public string DataDirectory { get; }

    public RiskyPlugin Plugin { get; }

    /// <summary>The API over HTTP (no token unless one is configured).</summary>
    public HttpClient Http { get; }

    public static async Task<UiHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("maximus-ui-").FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var hostSettings = MaximusHostSettings.All(dataDirectory);
        builder.AddServiceDefaults(hostSettings.ServiceName);
        builder.AddMaximus(hostSettings);
        var plugin = new RiskyPlugin();
        builder.Services.AddServiceOperations(plugin.Operations());
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMaximus();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new UiHost(app, dataDirectory, plugin);
    }

    /// <summary>Creates an environment on the PDDL plugin over its HTTP API; returns its id.</summary>
    public async Task<string> CreatePddlEnvironmentAsync(string domain, string problem)
    {
        using var response = await Http.PostAsJsonAsync("/pddl-env/v1/environments", new { domain, problem }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(TestContext.Current.CancellationToken);
        return created!["environmentId"]!.GetValue<string>();
    }

    public async Task<string> StartMissionAsync(MissionRequest request)
    {
        using var response = await Http.PostAsJsonAsync("/v1/missions", request, MaximusJson.Options, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (await response.Content.ReadFromJsonAsync<MissionAccepted>(MaximusJson.Options, TestContext.Current.CancellationToken))!.MissionId;
    }

    public async Task<MissionView> MissionAsync(string id) =>
        (await Http.GetFromJsonAsync<MissionView>($"/v1/missions/{id}", MaximusJson.Options, TestContext.Current.CancellationToken))!;

    public async Task<MissionView> WaitAsync(string id, Func<MissionView, bool>? until = null, int seconds = 90)
    {
        until ??= v => v.Status is "Succeeded" or "Failed";
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var view = await MissionAsync(id);
            if (until(view))
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"mission {id} is still {view.Status} ({view.Progress?.Phase})");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder does not change any test's outcome.
        }
    }
}

/// <summary>A plugin app of PDDL environments whose <c>stack</c> action is risky (it waits for a human's approval).</summary>
internal sealed class RiskyPlugin
{
    public const string AppId = "risky-env";

    private readonly ConcurrentDictionary<string, PddlEnvironment> _environments = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Executed { get; } = new();

    public string Add(string domain, string problem)
    {
        var id = $"env-{_environments.Count + 1}";
        _environments[id] = PddlEnvironment.Create(domain, problem);
        return id;
    }

    public IEnumerable<ServiceOperation> Operations() =>
    [
        ServiceOperation.Get(AppId, PluginContract.ManifestMethod, call =>
        {
            var manifest = _environments[call.QueryValue("context")!].Manifest(AppId, "1.0.0");
            return Task.FromResult(manifest with { Actions = [.. manifest.Actions.Select(a => a with { Risky = a.Name == "stack" })] });
        }),
        ServiceOperation.Get(AppId, PluginContract.StateMethod, call => Task.FromResult(_environments[call.QueryValue("context")!].State())),
        ServiceOperation.Post<ActionRequest, ActionResult>(AppId, "plugin/actions/{name}", (request, call) =>
        {
            var environment = _environments[request.Context!];
            var result = environment.Apply(request, call.Route("name"));
            if (result.Outcome == ActionOutcome.Succeeded && !result.Replayed)
            {
                Executed.Enqueue(call.Route("name"));
            }

            return Task.FromResult(result.State is null ? result with { State = environment.State() } : result);
        }),
    ];
}
