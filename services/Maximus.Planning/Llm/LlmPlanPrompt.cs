using System.Globalization;
using System.Text;
using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.Llm;

/// <summary>The planner's prompt over a plugin's manifest, and the JSON schema of the answer.</summary>
internal static class LlmPlanPrompt
{
    public const string System = """
        You are the planner of an AI agent. You get the actions of a plugin (their parameters and, where declared,
        STRIPS preconditions and effects), the current state (objects and the facts that are true) and a goal.
        Propose plans: sequences of actions that take the state to the goal.
        Rules:
        - Use only the listed actions, with exactly their parameter names, each parameter given once.
        - Use only the listed objects as argument values.
        - Every precondition of an action must hold in the state it runs in; its effects then change the state
          ((not p) makes p false). Facts not listed are false.
        - "Memories" are what the agent remembers from earlier missions, most relevant first, each with where it was
          learned: a procedure that reached a similar goal, past missions and their outcomes, preconditions an action
          needs that it does not declare. Use them, but check them against the actions and the state.
        Answer with one JSON object only, no prose:
        {"plans": [{"steps": [{"action": "<action name>", "arguments": [{"name": "<parameter name>", "value": "<object>"}]}]}]}
        """;

    /// <summary>Most recalled memories in the prompt, and most characters of each.</summary>
    public const int MaxMemories = 8;

    public const int MaxMemoryChars = 300;

    public static string User(PlanningRequest request)
    {
        var text = new StringBuilder();
        text.AppendLine("Actions:");
        foreach (var action in request.Actions)
        {
            text.Append("- ").Append(action.Name).Append('(')
                .AppendJoin(", ", ParameterNames(action).Select(p => p.Type is "object" or "" ? p.Name : $"{p.Name}: {p.Type}"))
                .Append(')');
            if (action.Preconditions is { Count: > 0 } pre)
            {
                text.Append("; preconditions ").AppendJoin(' ', pre);
            }

            if (action.Effects is { Count: > 0 } effects)
            {
                text.Append("; effects ").AppendJoin(' ', effects);
            }

            if (!string.IsNullOrWhiteSpace(action.Description))
            {
                text.Append(" — ").Append(action.Description.Trim());
            }

            text.AppendLine();
        }

        var objects = request.State.Objects ?? [];
        if (objects.Count > 0)
        {
            text.Append("Objects: ").AppendJoin(", ", objects.Select(o => o.Type is "object" or "" ? o.Name : $"{o.Name} ({o.Type})")).AppendLine();
        }

        text.Append("State (true facts): ").AppendJoin(' ', request.State.Facts ?? []).AppendLine();
        text.Append("Goal: ").AppendJoin(' ', request.Goal).AppendLine();
        if (request.Memories is { Count: > 0 } memories)
        {
            text.AppendLine("Memories (most relevant first):");
            foreach (var memory in memories.Take(MaxMemories))
            {
                var body = memory.Text.Length <= MaxMemoryChars ? memory.Text : memory.Text[..MaxMemoryChars] + "…";
                text.Append("- [").Append(memory.Type).Append(' ').Append(memory.Id)
                    .Append(memory.Provenance is null ? "" : "; " + memory.Provenance).Append("] ").AppendLine(body);
            }
        }

        if (request.ExcludedSteps is { Count: > 0 } excluded)
        {
            text.Append("Do not use these steps (they are expected to fail): ").AppendJoin(' ', excluded.Take(50)).AppendLine();
        }

        if (request.Feedback is { Count: > 0 } feedback)
        {
            text.AppendLine("Earlier candidates were rejected:");
            foreach (var line in feedback.TakeLast(10))
            {
                text.Append("- ").AppendLine(line);
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"Give {(request.MaxCandidates <= 1 ? "one plan" : $"up to {request.MaxCandidates} different plans, shortest first")}.");
        return text.ToString();
    }

    public static string Retry(IReadOnlyList<string> errors) =>
        "Your answer was rejected:\n" + string.Join('\n', errors.Take(20).Select(e => "- " + e))
        + "\nAnswer again with the complete JSON object; use only the listed actions, parameter names and objects.";

    /// <summary>Parameters by name: the declared ones, then the input schema's properties.</summary>
    public static IReadOnlyList<ActionParameter> ParameterNames(PluginAction action)
    {
        var parameters = (action.Parameters ?? []).Select(p => p with { Name = p.Name.TrimStart('?') }).ToList();
        if (action.InputSchema is { ValueKind: JsonValueKind.Object } schema
            && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (!parameters.Any(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    parameters.Add(new ActionParameter(property.Name, property.Value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "object"));
                }
            }
        }

        return parameters;
    }

    public static JsonElement Schema(PlanningRequest request)
    {
        var names = request.Actions.Select(a => a.Name).Distinct(StringComparer.Ordinal).ToList();
        var schema = new
        {
            type = "object",
            properties = new
            {
                plans = new
                {
                    type = "array",
                    items = new
                    {
                        type = "object",
                        properties = new
                        {
                            steps = new
                            {
                                type = "array",
                                items = new
                                {
                                    type = "object",
                                    properties = new
                                    {
                                        action = new { type = "string", @enum = names },
                                        arguments = new
                                        {
                                            type = "array",
                                            items = new
                                            {
                                                type = "object",
                                                properties = new { name = new { type = "string" }, value = new { type = "string" } },
                                                required = new[] { "name", "value" },
                                            },
                                        },
                                    },
                                    required = new[] { "action", "arguments" },
                                },
                            },
                        },
                        required = new[] { "steps" },
                    },
                },
            },
            required = new[] { "plans" },
        };
        return JsonSerializer.SerializeToElement(schema);
    }
}
