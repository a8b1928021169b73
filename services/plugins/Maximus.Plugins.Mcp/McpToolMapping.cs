using System.Text;
using System.Text.Json;
using Maximus.Contracts.Plugins;
using ModelContextProtocol.Protocol;

namespace Maximus.Plugins.Mcp;

/// <summary>Turns MCP tools into contract v1 actions, contract arguments into tool arguments, and tool results into observations.</summary>
public static class McpToolMapping
{
    /// <summary>The longest observation kept from one tool result (characters); the rest is cut and said so.</summary>
    public const int MaxObservationLength = 16_000;

    /// <summary>
    /// The action of a tool: its parameters are the input schema's properties (untyped objects: the schema itself goes
    /// along as <c>inputSchema</c>); <c>risky</c> is configured, else declared in the side file, else from the annotations.
    /// </summary>
    public static PluginAction ToAction(Tool tool, McpToolSemantics? semantics, bool? configuredRisky) => new(
        tool.Name,
        Properties(tool.InputSchema).Select(p => new ActionParameter(p.Name)).ToList(),
        tool.InputSchema.ValueKind == JsonValueKind.Object ? tool.InputSchema.Clone() : null,
        semantics?.Preconditions is { Count: > 0 } pre ? pre : null,
        semantics?.Effects is { Count: > 0 } eff ? eff : null,
        tool.Description ?? tool.Title,
        configuredRisky ?? semantics?.Risky ?? IsRisky(tool.Annotations));

    /// <summary>
    /// Risky unless the annotations say otherwise, with the MCP defaults: a tool that is not read-only is destructive unless
    /// it says <c>destructiveHint: false</c>, and it reaches an open world unless it says <c>openWorldHint: false</c>.
    /// </summary>
    public static bool IsRisky(ToolAnnotations? annotations)
    {
        var readOnly = annotations?.ReadOnlyHint ?? false;
        var destructive = !readOnly && (annotations?.DestructiveHint ?? true);
        var openWorld = annotations?.OpenWorldHint ?? true;
        return destructive || openWorld;
    }

    /// <summary>
    /// The tool's arguments from the contract's strings: a property the schema types as <c>string</c> is passed as it is;
    /// any other value is read as JSON (<c>[{"name":"alice"}]</c>, <c>3</c>, <c>true</c>); an untyped property is JSON when it
    /// parses, else a string. Returns the problem instead when an argument is unknown or not the JSON its type needs.
    /// </summary>
    public static IReadOnlyDictionary<string, object?> ToArguments(Tool tool, IReadOnlyDictionary<string, string> arguments, out string? problem)
    {
        problem = null;
        var properties = Properties(tool.InputSchema).ToDictionary(p => p.Name, p => p.Type, StringComparer.Ordinal);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (rawName, value) in arguments)
        {
            var name = rawName.TrimStart('?');
            if (properties.Count > 0 && !properties.ContainsKey(name))
            {
                problem = $"tool '{tool.Name}' has no parameter '{name}' (it has {string.Join(", ", properties.Keys)})";
                return result;
            }

            var type = properties.GetValueOrDefault(name);
            if (type == "string")
            {
                result[name] = JsonSerializer.SerializeToElement(value);
                continue;
            }

            try
            {
                using var parsed = JsonDocument.Parse(value);
                result[name] = parsed.RootElement.Clone();
            }
            catch (JsonException) when (type is null)
            {
                result[name] = JsonSerializer.SerializeToElement(value);
            }
            catch (JsonException ex)
            {
                problem = $"argument '{name}' of tool '{tool.Name}' must be JSON of type {type}: {ex.Message}";
                return result;
            }
        }

        return result;
    }

    /// <summary>The observation of a result: its text blocks, its structured content, and a line for every other block.</summary>
    public static string Observation(CallToolResult result)
    {
        var text = new StringBuilder();
        foreach (var block in result.Content ?? [])
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(block switch
            {
                TextContentBlock t => t.Text,
                ImageContentBlock i => $"[image {i.MimeType}]",
                AudioContentBlock a => $"[audio {a.MimeType}]",
                EmbeddedResourceBlock r => $"[resource {r.Resource.Uri}]",
                ResourceLinkBlock l => $"[resource link {l.Uri}]",
                _ => $"[{block.Type}]",
            });
        }

        if (result.StructuredContent is { } structured && text.Length == 0)
        {
            text.Append(JsonSerializer.Serialize(structured));
        }

        return text.Length <= MaxObservationLength
            ? text.ToString()
            : string.Concat(text.ToString(0, MaxObservationLength), $"… ({text.Length - MaxObservationLength} more characters)");
    }

    private static IEnumerable<(string Name, string? Type)> Properties(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        foreach (var property in properties.EnumerateObject())
        {
            var type = property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
            yield return (property.Name, type);
        }
    }
}
