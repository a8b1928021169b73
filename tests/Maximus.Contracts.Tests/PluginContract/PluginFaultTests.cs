using Dapr.Client;
using Maximus.Composition;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;
using Maximus.Runtime.Embedded;
using Maximus.Runtime.Tests.ServiceInvocation;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maximus.Contracts.Tests;

/// <summary>
/// Plugins that misbehave, reached as production reaches a plugin (the product's <c>DaprServiceInvoker</c> through the fake
/// sidecar, over a real socket, to <see cref="FakeFaultyPlugin"/>): one that never answers an action meets the executor's
/// step timeout, one that answers garbage makes the step fail; both name the plugin and the problem.
/// </summary>
public sealed class PluginFaultTests
{
    private const string Context = "route-7";

    [Fact]
    public async Task A_plugin_that_hangs_fails_the_step_with_a_reason_naming_the_step_timeout()
    {
        // 2 s, not less: the first call of a fresh host goes through the fake sidecar over a new socket, and on a busy CI
        // machine 0.5 s once ran out before the plugin had the request (ActionsReceived 0), which is not what is tested.
        await using var host = await FaultyPluginHost.StartAsync(FakeFaultyPlugin.Fault.Hang, TimeSpan.FromSeconds(2));

        var response = await ExecuteAsync(host, "load");

        Assert.Equal(ActionOutcome.Failed, response.Result.Outcome);
        Assert.Contains($"Plugin '{FakeFaultyPlugin.AppId}' did not answer 'load' within the step timeout of 2 s", response.Result.Error, StringComparison.Ordinal);
        Assert.Contains("Maximus:Execution:StepTimeout", response.Result.Error, StringComparison.Ordinal);
        Assert.Equal(1, host.Plugin.ActionsReceived);
    }

    [Fact]
    public async Task A_mission_whose_plugin_hangs_ends_failed_with_the_timeout_as_its_reason()
    {
        await using var host = await FaultyPluginHost.StartAsync(FakeFaultyPlugin.Fault.Hang, TimeSpan.FromSeconds(0.5));

        var mission = await host.RunMissionAsync();

        Assert.Equal("Failed", mission.Status);
        Assert.Contains("did not answer 'load' within the step timeout", mission.Result?.Reason, StringComparison.Ordinal);
        Assert.Equal(0, mission.Result!.StepsExecuted);
    }

    [Theory]
    [InlineData(FakeFaultyPlugin.Fault.NotJson, "The answer is not the JSON of a ActionResult: '<' is an invalid start of a value")]
    [InlineData(FakeFaultyPlugin.Fault.WrongShape, "missing required properties including: 'outcome', 'observation'")]
    [InlineData(FakeFaultyPlugin.Fault.UnknownOutcome, "an unknown outcome 7")]
    [InlineData(FakeFaultyPlugin.Fault.JsonNull, "a JSON null instead of an action result")]
    public async Task A_plugin_that_answers_garbage_fails_the_step_naming_the_plugin_and_the_problem(FakeFaultyPlugin.Fault fault, string problem)
    {
        // A step timeout far above any answer's time: a garbage answer that came late on a busy machine (the first request
        // of a Debug build on 2 loaded cores took longer than the hang tests' half second once) must still be read as garbage.
        await using var host = await FaultyPluginHost.StartAsync(fault, TimeSpan.FromSeconds(30));

        var response = await ExecuteAsync(host, "load");

        Assert.Equal(ActionOutcome.Failed, response.Result.Outcome);
        Assert.StartsWith($"Plugin '{FakeFaultyPlugin.AppId}' answered 'load' with", response.Result.Error, StringComparison.Ordinal);
        Assert.Contains(problem, response.Result.Error, StringComparison.Ordinal);
    }

    private static Task<ExecuteStepResponse> ExecuteAsync(FaultyPluginHost host, string action) =>
        host.Invoker.InvokeAsync<ExecuteStepRequest, ExecuteStepResponse>(
            AppIds.Executor,
            "v1/steps",
            new ExecuteStepRequest(FakeFaultyPlugin.AppId, Context, new PlanStep(action, [new StepArgument("parcel", "p1")]), "mission-1/r0/s0", "mission-1", "v1-fixture", 0),
            TestContext.Current.CancellationToken);

    /// <summary>Every Maximus role on the embedded runtime with the given step timeout; the faulty plugin over HTTP.</summary>
    private sealed class FaultyPluginHost : IAsyncDisposable
    {
        private readonly IHost _host;
        private readonly HttpClient _http;
        private readonly string _dataDirectory;

        private FaultyPluginHost(IHost host, HttpClient http, FakeFaultyPlugin plugin, string dataDirectory)
        {
            _host = host;
            _http = http;
            Plugin = plugin;
            _dataDirectory = dataDirectory;
        }

        public FakeFaultyPlugin Plugin { get; }

        public IServiceInvoker Invoker => _host.Services.GetRequiredService<IServiceInvoker>();

        public static async Task<FaultyPluginHost> StartAsync(FakeFaultyPlugin.Fault fault, TimeSpan stepTimeout)
        {
            var plugin = await FakeFaultyPlugin.StartAsync(fault);
            var sidecar = new FakeDaprInvocationSidecar(new Dictionary<string, HttpMessageHandler>(StringComparer.Ordinal)
            {
                [FakeFaultyPlugin.AppId] = new AppAddressHandler(plugin.BaseAddress),
            });
            var http = new HttpClient(new InvocationHandler { DaprEndpoint = "http://127.0.0.1:3500", InnerHandler = sidecar });
            var pluginInvoker = new DaprServiceInvoker(http);
            var dataDirectory = Directory.CreateTempSubdirectory("maximus-faulty-plugin-").FullName;
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = "Error",
                ["Maximus:Execution:StepTimeout"] = stepTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
            });
            builder.AddMaximusLogging(toStandardError: true);
            builder.Services.AddSingleton<IServiceInvoker>(sp => new PluginRouter(sp.GetRequiredService<EmbeddedServiceInvoker>(), pluginInvoker));
            builder.AddMaximus(MaximusHostSettings.All(dataDirectory));
            var host = builder.Build();
            await host.StartAsync();
            return new FaultyPluginHost(host, http, plugin, dataDirectory);
        }

        public Task<MissionView> RunMissionAsync() =>
            FixtureMissionHost.RunToEndAsync(Invoker, FakeFaultyPlugin.AppId, Context);

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
            _http.Dispose();
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
    }

    /// <summary>The plugin's app id through the Dapr invoker; every Maximus service in process.</summary>
    private sealed class PluginRouter(IServiceInvoker services, IServiceInvoker plugin) : IServiceInvoker
    {
        public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default) =>
            Route(appId).InvokeAsync<TRequest, TResponse>(appId, method, request, cancellationToken);

        public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            Route(appId).GetAsync<TResponse>(appId, method, cancellationToken);

        public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
            Route(appId).DeleteAsync<TResponse>(appId, method, cancellationToken);

        private IServiceInvoker Route(string appId) => appId == FakeFaultyPlugin.AppId ? plugin : services;
    }

    /// <summary>The sidecar's hop to its app: the app's real address on the loopback, over a socket.</summary>
    private sealed class AppAddressHandler(Uri app) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new Uri(app, request.RequestUri!.PathAndQuery.TrimStart('/'));
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// A fake plugin that misbehaves on purpose: a Kestrel app on 127.0.0.1 that serves the v1 fixture's manifest and state,
/// and answers every action with its <see cref="Fault"/> (never, not JSON, JSON of the wrong shape, an unknown outcome,
/// JSON null).
/// </summary>
public sealed class FakeFaultyPlugin : IAsyncDisposable
{
    public const string AppId = "faulty-courier";

    private readonly WebApplication _app;
    private int _actionsReceived;

    private FakeFaultyPlugin(Fault fault)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/plugin/manifest", () => Results.Text(V1Fixture.Read(V1Fixture.Manifest), "application/json"));
        _app.MapGet("/plugin/state", () => Results.Text(V1Fixture.Read(V1Fixture.State), "application/json"));
        _app.MapPost("/plugin/actions/{name}", async (HttpContext http) =>
        {
            Interlocked.Increment(ref _actionsReceived);
            switch (fault)
            {
                case Fault.Hang:
                    // Hangs until the caller goes away (or the test ends).
                    await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return Results.Empty;
                case Fault.NotJson:
                    return Results.Text("<html><body>502 upstream sad</body></html>", "application/json");
                case Fault.WrongShape:
                    return Results.Text("""{"status": "ok", "items": [1, 2, 3]}""", "application/json");
                case Fault.UnknownOutcome:
                    return Results.Text("""{"outcome": 7, "observation": "boom"}""", "application/json");
                default:
                    return Results.Text("null", "application/json");
            }
        });
    }

    public enum Fault
    {
        Hang,
        NotJson,
        WrongShape,
        UnknownOutcome,
        JsonNull,
    }

    public Uri BaseAddress { get; private set; } = null!;

    public int ActionsReceived => Volatile.Read(ref _actionsReceived);

    public static async Task<FakeFaultyPlugin> StartAsync(Fault fault)
    {
        var plugin = new FakeFaultyPlugin(fault);
        await plugin._app.StartAsync();
        var address = plugin._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        plugin.BaseAddress = new Uri(address + "/");
        return plugin;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
