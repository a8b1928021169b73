using Maximus.Contracts;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;

namespace Maximus.Plugins.Mcp.Service;

/// <summary>
/// The MCP bridge plugin (app id <c>mcp-bridge</c>): plugin contract v1 for every configured MCP server, the contract's
/// <c>context</c> naming the server.
/// </summary>
public static class McpBridgeApi
{
    public const string PluginName = "mcp-bridge";
    public const string PluginVersion = "1.0.0";

    public static IEnumerable<ServiceOperation> Operations(string appId = AppIds.McpBridge) =>
    [
        ServiceOperation.Get(appId, PluginContract.ManifestMethod, call =>
            Bridge(call).ManifestAsync(call.QueryValue("context"), call.CancellationToken)),
        ServiceOperation.Get(appId, PluginContract.StateMethod, call =>
            Task.FromResult(Bridge(call).State(call.QueryValue("context")))),
        ServiceOperation.Post<ActionRequest, ActionResult>(appId, "plugin/actions/{name}", (request, call) =>
            Bridge(call).ExecuteAsync(call.Route("name"), request with { Context = request.Context ?? call.QueryValue("context") }, call.CancellationToken)),
    ];

    private static McpBridge Bridge(OperationCall call) => call.GetService<McpBridge>();
}
