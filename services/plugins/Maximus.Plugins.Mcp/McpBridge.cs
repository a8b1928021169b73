using System.Collections.Concurrent;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Plugins.Mcp.Service;
using ModelContextProtocol.Protocol;

namespace Maximus.Plugins.Mcp;

/// <summary>
/// Plugin contract v1 over MCP servers: the context names the server (optional when only one is configured). The manifest
/// lists its tools as actions; the state is the declared world of its side file, changed by the declared effects of the
/// calls that succeeded; an action calls the tool once per request id (a repeated request id answers the first result).
/// </summary>
public sealed class McpBridge(McpServerConnections connections)
{
    /// <summary>How many request ids the bridge remembers for idempotency.</summary>
    public const int RememberedRequests = 10_000;

    private readonly ConcurrentDictionary<string, Lazy<Task<(ActionResult Result, bool Final)>>> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requestOrder = new();
    private readonly ConcurrentDictionary<string, DeclaredWorld> _worlds = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The server a call addresses: its context, or the only configured server.</summary>
    public string Server(string? context)
    {
        if (!string.IsNullOrWhiteSpace(context))
        {
            connections.Settings(context);
            return context;
        }

        return connections.ServerNames.Count == 1
            ? connections.ServerNames.First()
            : throw ProblemException.Invalid("context", $"names the MCP server; configured: {(connections.ServerNames.Count == 0 ? "none" : string.Join(", ", connections.ServerNames))}.");
    }

    public async Task<PluginManifest> ManifestAsync(string? context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(context) && connections.ServerNames.Count != 1)
        {
            return new PluginManifest(McpBridgeApi.PluginName, McpBridgeApi.PluginVersion, PluginContract.Version, [],
                $"MCP servers as plugins; pass the server's name as context. Configured: {(connections.ServerNames.Count == 0 ? "none" : string.Join(", ", connections.ServerNames))}.");
        }

        var server = Server(context);
        var (info, tools) = await ListAsync(server, cancellationToken).ConfigureAwait(false);
        var settings = connections.Settings(server);
        var semantics = connections.Semantics(server);
        var actions = tools.Select(t => McpToolMapping.ToAction(
                t,
                semantics.Tools?.GetValueOrDefault(t.Name),
                settings.Risky.TryGetValue(t.Name, out var risky) ? risky : null))
            .ToList();
        return new PluginManifest(server, info.Version, PluginContract.Version, actions, $"MCP server '{server}' ({info.Name} {info.Version}) through the mcp-bridge plugin.");
    }

    public PluginState State(string? context) => World(Server(context)).Snapshot();

    public async Task<ActionResult> ExecuteAsync(string action, ActionRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.RequestId))
        {
            throw ProblemException.Invalid("requestId", "is required.");
        }

        var server = Server(request.Context);
        var key = $"{server}\n{request.RequestId}";
        var call = _requests.GetOrAdd(key, _ => new Lazy<Task<(ActionResult, bool)>>(() => CallAsync(server, action, request, cancellationToken)));
        var replay = call.IsValueCreated;
        (ActionResult result, bool final) outcome;
        try
        {
            outcome = await call.Value.ConfigureAwait(false);
        }
        catch
        {
            _requests.TryRemove(key, out _);
            throw;
        }

        if (!outcome.final)
        {
            // A cancelled call did not happen for the caller: the same request id may try again.
            _requests.TryRemove(key, out _);
            return outcome.result;
        }

        if (replay)
        {
            return outcome.result with { Replayed = true };
        }

        _requestOrder.Enqueue(key);
        while (_requestOrder.Count > RememberedRequests && _requestOrder.TryDequeue(out var old))
        {
            _requests.TryRemove(old, out _);
        }

        return outcome.result;
    }

    private async Task<(ActionResult Result, bool Final)> CallAsync(string server, string action, ActionRequest request, CancellationToken cancellationToken)
    {
        var world = World(server);
        IReadOnlyList<Tool> tools;
        try
        {
            tools = (await connections.ListToolsAsync(server, cancellationToken).ConfigureAwait(false)).Tools;
        }
        catch (McpServerUnavailableException ex)
        {
            return (new ActionResult(ActionOutcome.Failed, "", world.Snapshot(), $"{ex.Message} (tool '{action}' was not called)"), true);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (new ActionResult(ActionOutcome.Failed, "", world.Snapshot(), $"The call of tool '{action}' on MCP server '{server}' was cancelled before it started."), false);
        }

        if (tools.FirstOrDefault(t => string.Equals(t.Name, action, StringComparison.Ordinal)) is not { } tool)
        {
            return (new ActionResult(ActionOutcome.Rejected, "", world.Snapshot(), $"MCP server '{server}' has no tool '{action}'."), true);
        }

        var arguments = McpToolMapping.ToArguments(tool, request.Arguments ?? new Dictionary<string, string>(), out var problem);
        if (problem is not null)
        {
            return (new ActionResult(ActionOutcome.Rejected, "", world.Snapshot(), problem), true);
        }

        var semantics = connections.Semantics(server).Tools?.GetValueOrDefault(tool.Name);
        if (world.Unmet(semantics, request.Arguments ?? new Dictionary<string, string>()) is { Count: > 0 } unmet)
        {
            return (new ActionResult(ActionOutcome.Rejected, "", world.Snapshot(), $"preconditions not satisfied: {string.Join(", ", unmet)}"), true);
        }

        var outcome = await connections.CallToolAsync(server, tool.Name, arguments, cancellationToken).ConfigureAwait(false);
        if (outcome.Result is not { } result)
        {
            return (new ActionResult(ActionOutcome.Failed, "", world.Snapshot(), outcome.Failure), !cancellationToken.IsCancellationRequested);
        }

        var observation = McpToolMapping.Observation(result);
        if (result.IsError == true)
        {
            return (new ActionResult(ActionOutcome.Failed, observation, world.Snapshot(), $"MCP server '{server}', tool '{tool.Name}': {observation}"), true);
        }

        world.Apply(semantics, request.Arguments ?? new Dictionary<string, string>());
        return (new ActionResult(ActionOutcome.Succeeded, observation, world.Snapshot()), true);
    }

    private async Task<(Implementation Info, IReadOnlyList<Tool> Tools)> ListAsync(string server, CancellationToken cancellationToken)
    {
        try
        {
            return await connections.ListToolsAsync(server, cancellationToken).ConfigureAwait(false);
        }
        catch (McpServerUnavailableException ex)
        {
            throw new ProblemException(503, "MCP server unavailable", ex.Message, "context");
        }
    }

    private DeclaredWorld World(string server) => _worlds.GetOrAdd(server, s => new DeclaredWorld(connections.Semantics(s)));
}
