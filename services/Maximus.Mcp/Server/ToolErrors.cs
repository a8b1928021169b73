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
            catch (McpException ex) when (ex is not McpProtocolException)
            {
                // The tool refused its input or a service said no: an answer for the model, not a server fault to log.
                return Error(ex.Message);
            }
            catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException && !cancellationToken.IsCancellationRequested)
            {
                var schema = (context.MatchedPrimitive as McpServerTool)?.ProtocolTool.InputSchema;
                var why = schema is { } s && context.Params?.Arguments is { } args ? Mismatch(s, args) : null;
                return Error($"{context.Params?.Name}: the arguments do not fit the tool's input schema: {why ?? ex.Message}");
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

    /// <summary>Names the first argument whose JSON type or value the schema does not allow (the binder's message names none).</summary>
    internal static string? Mismatch(JsonElement schema, IDictionary<string, JsonElement> arguments)
    {
        if (!schema.TryGetProperty("properties", out var properties))
        {
            return null;
        }

        foreach (var (name, value) in arguments)
        {
            if (!properties.TryGetProperty(name, out var property))
            {
                continue;
            }

            if (property.TryGetProperty("type", out var type))
            {
                var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()];
                if (!allowed.Any(t => Fits(t, value)))
                {
                    return $"'{name}' must be {string.Join(" or ", allowed)}, not {value.GetRawText()}.";
                }
            }

            var items = property.TryGetProperty("items", out var i) ? i : property;
            if (items.TryGetProperty("enum", out var options))
            {
                var values = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : new[] { value };
                foreach (var v in values.Where(v => v.ValueKind != JsonValueKind.Null && !options.EnumerateArray().Any(o => o.GetRawText() == v.GetRawText())))
                {
                    return $"'{name}' must be one of {string.Join(", ", options.EnumerateArray().Select(o => o.GetRawText()))}, not {v.GetRawText()}.";
                }
            }
        }

        return null;
    }

    private static bool Fits(string? type, JsonElement value) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };

    private static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };
}
