using System.Collections.Concurrent;
using System.Text.Json;
using Dapr.Actors.Runtime;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maximus.Runtime.Tests.Actors;

/// <summary>
/// A fake Dapr sidecar for actors on a loopback port: a contract test of our own <c>DaprActorInvoker</c> (behind Dapr's
/// real actor proxies) and of actors hosted by Dapr's real actor runtime, not of Dapr. It serves the part of daprd's
/// HTTP actor API the two use:
/// <list type="bullet">
/// <item><c>PUT /v1.0/actors/{type}/{id}/method/{method}</c>: forwarded, headers and body, to the app's
/// <c>/actors/{type}/{id}/method/{method}</c> (an in-memory test server with <c>AddActors</c> and <c>MapActorsHandlers</c>),
/// one call at a time per actor (the turn-based lock is daprd's, not the app's), and the app's answer passed back; an
/// actor type the app does not host answers 500 <c>ERR_ACTOR_INSTANCE_MISSING</c> as daprd does when no host has it;</item>
/// <item><c>GET /v1.0/actors/{type}/{id}/state/{key}</c> (204 when absent) and the state transaction
/// <c>PUT|POST /v1.0/actors/{type}/{id}/state</c> (upsert and delete operations), in memory.</item>
/// </list>
/// The forwarded call has its own lifetime: a caller that stops waiting does not end the actor's turn.
/// </summary>
public sealed class FakeDaprActorSidecar : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Type, string Id, string Key), byte[]> _state = new();
    private readonly ConcurrentDictionary<(string Type, string Id), SemaphoreSlim> _turns = new();
    private readonly WebApplication _sidecar;
    private readonly WebApplication _app;
    private readonly HttpClient _toApp;
    private readonly HashSet<string> _hostedTypes;

    private FakeDaprActorSidecar(WebApplication sidecar, WebApplication app, HashSet<string> hostedTypes)
    {
        _sidecar = sidecar;
        _app = app;
        _hostedTypes = hostedTypes;
        _toApp = app.GetTestClient();
        Endpoint = AddressOf(sidecar);
    }

    /// <summary>The sidecar's HTTP endpoint (<c>http://127.0.0.1:{port}</c>).</summary>
    public string Endpoint { get; }

    /// <summary>Starts the sidecar, then the app hosting <paramref name="register"/>'s actors with the production serialisation settings.</summary>
    public static async Task<FakeDaprActorSidecar> StartAsync(Action<ActorRuntimeOptions> register, params string[] hostedTypes)
    {
        FakeDaprActorSidecar? self = null;
        var sidecarBuilder = WebApplication.CreateSlimBuilder();
        sidecarBuilder.Logging.ClearProviders();
        sidecarBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        var sidecar = sidecarBuilder.Build();
        sidecar.MapMethods("/v1.0/actors/{type}/{id}/method/{**method}", ["PUT", "POST"], (HttpContext http, string type, string id, string method) =>
            self!.InvokeAsync(http, type, id, method));
        sidecar.MapGet("/v1.0/actors/{type}/{id}/state/{key}", (string type, string id, string key) =>
            self!._state.TryGetValue((type, id, key), out var value) ? Results.Bytes(value, "application/json") : Results.NoContent());
        sidecar.MapMethods("/v1.0/actors/{type}/{id}/state", ["PUT", "POST"], (HttpContext http, string type, string id) =>
            self!.TransactAsync(http, type, id));
        await sidecar.StartAsync(TestContext.Current.CancellationToken);
        var endpoint = AddressOf(sidecar);

        var appBuilder = WebApplication.CreateSlimBuilder();
        appBuilder.Logging.ClearProviders();
        appBuilder.WebHost.UseTestServer();
        appBuilder.Services.AddSingleton(TimeProvider.System);
        appBuilder.Services.AddActors(options =>
        {
            // As DaprRuntimeExtensions.AddDaprRuntime configures the app's actor runtime.
            options.UseJsonSerialization = true;
            options.JsonSerializerOptions = new JsonSerializerOptions(MaximusJson.Options);
            options.HttpEndpoint = endpoint;
            register(options);
        });
        var app = appBuilder.Build();
        app.MapActorsHandlers();
        await app.StartAsync(TestContext.Current.CancellationToken);

        self = new FakeDaprActorSidecar(sidecar, app, [.. hostedTypes]);
        return self;
    }

    private static string AddressOf(WebApplication server) =>
        server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    public async ValueTask DisposeAsync()
    {
        _toApp.Dispose();
        await _app.DisposeAsync();
        await _sidecar.DisposeAsync();
    }

    private async Task InvokeAsync(HttpContext http, string type, string id, string method)
    {
        if (!_hostedTypes.Contains(type))
        {
            http.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await http.Response.WriteAsJsonAsync(new
            {
                errorCode = "ERR_ACTOR_INSTANCE_MISSING",
                message = $"failed to invoke actor: did not find address for actor {type}/{id}",
            }, CancellationToken.None);
            return;
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, CancellationToken.None);
        var turn = _turns.GetOrAdd((type, id), _ => new SemaphoreSlim(1, 1));
        await turn.WaitAsync(http.RequestAborted);
        HttpResponseMessage answer;
        try
        {
            using var forward = new HttpRequestMessage(HttpMethod.Put, $"/actors/{type}/{id}/method/{method}")
            {
                Content = new ByteArrayContent(body.ToArray()),
            };
            foreach (var header in http.Request.Headers.Where(h => h.Key.StartsWith("X-Dapr", StringComparison.OrdinalIgnoreCase)))
            {
                forward.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
            }

            answer = await _toApp.SendAsync(forward, CancellationToken.None);
        }
        finally
        {
            turn.Release();
        }

        using (answer)
        {
            http.Response.StatusCode = (int)answer.StatusCode;
            foreach (var header in answer.Headers.Concat(answer.Content.Headers))
            {
                http.Response.Headers[header.Key] = header.Value.ToArray();
            }

            http.Response.Headers.Remove("Transfer-Encoding");
            await answer.Content.CopyToAsync(http.Response.Body, CancellationToken.None);
        }
    }

    private async Task TransactAsync(HttpContext http, string type, string id)
    {
        using var operations = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: CancellationToken.None);
        foreach (var operation in operations.RootElement.EnumerateArray())
        {
            var request = operation.GetProperty("request");
            var key = request.GetProperty("key").GetString()!;
            switch (operation.GetProperty("operation").GetString())
            {
                case "upsert":
                    _state[(type, id, key)] = JsonSerializer.SerializeToUtf8Bytes(request.GetProperty("value"));
                    break;
                case "delete":
                    _state.TryRemove((type, id, key), out _);
                    break;
                default:
                    http.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
            }
        }

        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
