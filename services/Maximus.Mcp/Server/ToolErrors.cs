using System.Text.Json;
using Maximus.Contracts.Ports;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>
/// Turns what goes wrong in a tool into an error result the model can act on: a service's problem (400: the field and
/// why; 404: what is missing; see <see cref="Describe"/>) or arguments that do not fit the tool's schema. Unknown tools
/// are the SDK's protocol error. Nothing here stops the server: the next call is served as usual.
/// </summary>
internal static class ToolErrors
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, cancellationToken) =>
        {
            try
            {
                return await next(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException && !cancellationToken.IsCancellationRequested)
            {
                return Error($"{context.Params?.Name}: the arguments do not fit the tool's input schema: {ex.Message}");
            }
        };

    /// <summary>A service's answer as a tool error: what was asked, and the service's own words on why not.</summary>
    public static McpException Describe(InvocationException ex)
    {
        var what = ex.Status switch
        {
            400 or 409 or 415 or 422 => "rejected",
            404 => "not found",
            _ => "unavailable",
        };
        return new McpException($"{ex.AppId} {what} {ex.Method} ({ex.Status} {ex.Title}){(ex.Detail is null ? "" : ": " + ex.Detail)}", ex);
    }

    /// <summary>A tool refusing its input: the message reaches the model as an error result.</summary>
    public static McpException Invalid(string argument, string why) => new($"'{argument}' {why}");

    private static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };
}
