using Dapr.Client;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;
using Maximus.Runtime.Tests.ServiceInvocation;

namespace Maximus.Contracts.Tests;

/// <summary>
/// The fixture plugin as production reaches a plugin: the product's <see cref="DaprServiceInvoker"/> behind Dapr's
/// real <see cref="InvocationHandler"/>, through <see cref="FakeDaprInvocationSidecar"/>, which forwards over a real
/// socket to the plugin's Kestrel address (as daprd calls its app).
/// </summary>
internal sealed class FixturePluginBehindDapr : IAsyncDisposable
{
    public const string AppId = "courier-v1";

    private readonly HttpClient _http;

    private FixturePluginBehindDapr(FixturePlugin plugin)
    {
        Plugin = plugin;
        var sidecar = new FakeDaprInvocationSidecar(new Dictionary<string, HttpMessageHandler>(StringComparer.Ordinal)
        {
            [AppId] = new AppAddressHandler(plugin.BaseAddress),
        });
        _http = new HttpClient(new InvocationHandler { DaprEndpoint = "http://127.0.0.1:3500", InnerHandler = sidecar });
        Invoker = new DaprServiceInvoker(_http);
    }

    public FixturePlugin Plugin { get; }

    public IServiceInvoker Invoker { get; }

    public static async Task<FixturePluginBehindDapr> StartAsync() => new(await FixturePlugin.StartAsync());

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Plugin.DisposeAsync();
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
