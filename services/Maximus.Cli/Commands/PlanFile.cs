using System.Text.Json;
using Maximus.Contracts.Planning;

namespace Maximus.Cli.Commands;

/// <summary>
/// Reads a plan file for <c>maximus run --steps</c>: a JSON array of steps, each <c>{"action": "...", "arguments": {...}}</c>.
/// An argument that is a JSON string is passed as it is; any other JSON value (an array, an object, a number) is passed as
/// its JSON text, which the plugin reads back (the MCP bridge turns it into the tool's typed argument). The contract form
/// <c>"arguments": [{"name": "...", "value": "..."}]</c> is read too.
/// </summary>
internal static class PlanFile
{
    public static IReadOnlyList<PlanStep>? Read(string path, out string? error)
    {
        error = null;
        if (!File.Exists(path))
        {
            error = $"{path}: file not found";
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("steps", out var inner) ? inner : document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0)
            {
                error = $"{path}: expected a non-empty JSON array of steps ({{\"action\": \"...\", \"arguments\": {{...}}}})";
                return null;
            }

            var steps = new List<PlanStep>();
            var index = 0;
            foreach (var step in root.EnumerateArray())
            {
                if (step.ValueKind != JsonValueKind.Object || !step.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.String
                    || string.IsNullOrWhiteSpace(action.GetString()))
                {
                    error = $"{path}: step {index} needs an \"action\" (a string)";
                    return null;
                }

                steps.Add(new PlanStep(action.GetString()!, Arguments(step)));
                index++;
            }

            return steps;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException or KeyNotFoundException or InvalidOperationException)
        {
            error = $"{path}: {ex.Message}";
            return null;
        }
    }

    private static List<StepArgument> Arguments(JsonElement step)
    {
        if (!step.TryGetProperty("arguments", out var arguments))
        {
            return [];
        }

        if (arguments.ValueKind == JsonValueKind.Array)
        {
            return arguments.EnumerateArray()
                .Select(a => new StepArgument(a.GetProperty("name").GetString()!, Text(a.GetProperty("value"))))
                .ToList();
        }

        return arguments.EnumerateObject().Select(p => new StepArgument(p.Name, Text(p.Value))).ToList();
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}
