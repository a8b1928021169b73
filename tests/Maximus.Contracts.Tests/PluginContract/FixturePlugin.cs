using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Maximus.Contracts.Tests;

/// <summary>
/// The smallest v1 plugin: a Kestrel app on 127.0.0.1 that answers the contract routes with the fixture files,
/// byte for byte, and knows nothing of Maximus's types (as a plugin in any language would). Its state machine: the
/// state starts as <c>state.json</c> and becomes the <c>state</c> of each action answer; a request id is applied once.
/// Every request it receives is recorded with its raw body.
/// </summary>
internal sealed class FixturePlugin : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _applied = new(StringComparer.Ordinal);
    private string _state = V1Fixture.Read(V1Fixture.State);

    private FixturePlugin()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/plugin/manifest", (HttpContext http) => Answer(http, V1Fixture.Read(V1Fixture.Manifest)));
        _app.MapGet("/plugin/state", (HttpContext http) => Answer(http, CurrentState()));
        _app.MapPost("/plugin/actions/{name}", RunActionAsync);
    }

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    /// <summary>The actions whose answer replaced the state, in order (a replayed request id is not applied again).</summary>
    public List<string> Applied { get; } = [];

    public static async Task<FixturePlugin> StartAsync()
    {
        var plugin = new FixturePlugin();
        await plugin._app.StartAsync();
        var address = plugin._app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        plugin.BaseAddress = new Uri(address + "/");
        return plugin;
    }

    public ReceivedRequest[] ActionRequests() => Received.Where(r => r.Path.StartsWith("/plugin/actions/", StringComparison.Ordinal)).ToArray();

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private string CurrentState()
    {
        lock (_gate)
        {
            return _state;
        }
    }

    private IResult Answer(HttpContext http, string json)
    {
        Received.Enqueue(new ReceivedRequest(http.Request.Method, http.Request.Path.Value!, http.Request.QueryString.Value ?? string.Empty, string.Empty));
        return Results.Text(json, "application/json");
    }

    private async Task<IResult> RunActionAsync(string name, HttpContext http)
    {
        using var reader = new StreamReader(http.Request.Body);
        var body = await reader.ReadToEndAsync(http.RequestAborted);
        Received.Enqueue(new ReceivedRequest(http.Request.Method, http.Request.Path.Value!, http.Request.QueryString.Value ?? string.Empty, body));
        if (!V1Fixture.Actions.Contains(name, StringComparer.Ordinal))
        {
            return Results.Problem(statusCode: 404, title: "Unknown action", detail: $"The courier serves no action '{name}'.");
        }

        string? requestId;
        try
        {
            using var request = JsonDocument.Parse(body);
            requestId = request.RootElement.TryGetProperty("requestId", out var id) ? id.GetString() : null;
        }
        catch (JsonException ex)
        {
            return Results.Problem(statusCode: 400, title: "Malformed request body", detail: ex.Message);
        }

        if (string.IsNullOrEmpty(requestId))
        {
            return Results.Problem(statusCode: 400, title: "Invalid request", detail: "requestId is required.");
        }

        var answer = V1Fixture.Read(V1Fixture.ActionAnswer(name));
        lock (_gate)
        {
            if (_applied.Add(requestId) && JsonNode.Parse(answer)?["state"] is { } state)
            {
                _state = state.ToJsonString();
                Applied.Add(name);
            }
        }

        return Results.Text(answer, "application/json");
    }
}

/// <summary>A request as the plugin received it; <see cref="Body"/> is empty for GET.</summary>
internal sealed record ReceivedRequest(string Method, string Path, string Query, string Body);
