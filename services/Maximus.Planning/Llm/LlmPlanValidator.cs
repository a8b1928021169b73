using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.ServiceDefaults;

namespace Maximus.Planning.Llm;

/// <summary>
/// Reads a model's plans and checks them against the manifest: every action must exist, every argument must name one
/// of its parameters (each given once, none missing) and every value must be an object of the state (when the state
/// lists objects). Names are matched case-insensitively and returned as the manifest and state spell them.
/// </summary>
internal sealed class LlmPlanValidator
{
    private readonly Dictionary<string, PluginAction> _actions;
    private readonly Dictionary<string, string> _objects;
    private readonly HashSet<string> _excluded;
    private readonly int _maxSteps;

    public LlmPlanValidator(PlanningRequest request, int maxSteps)
    {
        _actions = new Dictionary<string, PluginAction>(StringComparer.OrdinalIgnoreCase);
        foreach (var action in request.Actions)
        {
            _actions.TryAdd(action.Name, action);
        }

        _objects = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in (request.State.Objects ?? []).Select(o => o.Name)
            .Concat((request.State.Facts ?? []).SelectMany(f => f.Arguments))
            .Concat(request.Actions.SelectMany(a => (a.Preconditions ?? []).Concat(a.Effects ?? [])).SelectMany(l => l.Arguments).Where(x => !x.StartsWith('?'))))
        {
            _objects.TryAdd(name, name);
        }

        _excluded = new HashSet<string>((request.ExcludedSteps ?? []).Select(s => s.Trim()), StringComparer.OrdinalIgnoreCase);
        _maxSteps = maxSteps;
    }

    /// <summary>The valid plans of an answer, and the errors of the invalid ones (or of an unreadable answer).</summary>
    public (List<List<PlanStep>> Valid, List<string> Errors) Check(string? answer)
    {
        var valid = new List<List<PlanStep>>();
        var errors = new List<string>();
        if (Parse(answer, out var parseError) is not { } plans)
        {
            errors.Add(parseError!);
            return (valid, errors);
        }

        if (plans.Count == 0)
        {
            errors.Add("the answer holds no plan.");
            return (valid, errors);
        }

        for (var p = 0; p < plans.Count; p++)
        {
            var planErrors = new List<string>();
            var steps = new List<PlanStep>();
            var raw = plans[p];
            if (raw.Count > _maxSteps)
            {
                planErrors.Add($"plan {p + 1} has {raw.Count} steps; at most {_maxSteps} are allowed.");
            }

            for (var s = 0; s < raw.Count && planErrors.Count < 10; s++)
            {
                if (CheckStep(raw[s], $"plan {p + 1}, step {s + 1}", planErrors) is { } step)
                {
                    steps.Add(step);
                }
            }

            if (planErrors.Count == 0)
            {
                valid.Add(steps);
            }

            errors.AddRange(planErrors);
        }

        return (valid, errors);
    }

    private PlanStep? CheckStep(RawStep raw, string where, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(raw.Action) || !_actions.TryGetValue(raw.Action.Trim(), out var action))
        {
            errors.Add($"{where}: unknown action '{raw.Action}' (the actions are: {string.Join(", ", _actions.Values.Select(a => a.Name))}).");
            return null;
        }

        var parameters = LlmPlanPrompt.ParameterNames(action);
        var byName = parameters.ToDictionary(p => p.Name, p => p.Name, StringComparer.OrdinalIgnoreCase);
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = true;
        var arguments = raw.Arguments;
        if (raw.Positional is { } positional)
        {
            if (positional.Count != parameters.Count)
            {
                errors.Add($"{where} ({action.Name}): {positional.Count} arguments given, {parameters.Count} expected ({string.Join(", ", parameters.Select(p => p.Name))}).");
                return null;
            }

            arguments = parameters.Select((p, i) => (p.Name, positional[i])).ToList();
        }

        foreach (var (name, value) in arguments)
        {
            var key = name.TrimStart('?');
            if (!byName.TryGetValue(key, out var parameter))
            {
                errors.Add($"{where} ({action.Name}): unknown argument '{name}' (the parameters are: {string.Join(", ", parameters.Select(p => p.Name))}).");
                ok = false;
                continue;
            }

            if (!given.TryAdd(parameter, value))
            {
                errors.Add($"{where} ({action.Name}): argument '{parameter}' is given twice.");
                ok = false;
                continue;
            }

            if (_objects.Count > 0 && action.Parameters.Any(p => string.Equals(p.Name.TrimStart('?'), parameter, StringComparison.OrdinalIgnoreCase)))
            {
                if (_objects.TryGetValue(value.Trim(), out var canonical))
                {
                    given[parameter] = canonical;
                }
                else
                {
                    errors.Add($"{where} ({action.Name}): '{value}' is not an object of the state.");
                    ok = false;
                }
            }
        }

        foreach (var missing in action.Parameters.Select(p => p.Name.TrimStart('?')).Where(p => !given.ContainsKey(p)))
        {
            errors.Add($"{where} ({action.Name}): argument '{missing}' is missing.");
            ok = false;
        }

        if (!ok)
        {
            return null;
        }

        var ordered = parameters.Where(p => given.ContainsKey(p.Name)).Select(p => new StepArgument(p.Name, given[p.Name])).ToList();
        var step = new PlanStep(action.Name, ordered);
        if (_excluded.Contains(step.ToString()))
        {
            errors.Add($"{where}: {step} is excluded (it is expected to fail).");
            return null;
        }

        return step;
    }

    private sealed record RawStep(string? Action, List<(string Name, string Value)> Arguments, List<string>? Positional);

    /// <summary>
    /// <c>{"plans":[{"steps":[…]}]}</c>, also a bare array of plans or one <c>{"steps":[…]}</c>, possibly inside a code
    /// fence. Arguments may be <c>[{"name","value"}]</c>, an object <c>{"x":"a"}</c> or positional <c>["a","b"]</c>.
    /// </summary>
    private static List<List<RawStep>>? Parse(string? answer, out string? error)
    {
        if (!ModelAnswer.TryRead(answer, allowArray: true, out var root, out error))
        {
            error += " A JSON object with \"plans\" was asked for.";
            return null;
        }

        if (root.ValueKind == JsonValueKind.Object && TryGet(root, "plans", out var plans) && plans.ValueKind == JsonValueKind.Array)
        {
            return plans.EnumerateArray().Select(PlanOf).ToList();
        }

        if (root.ValueKind == JsonValueKind.Object && TryGet(root, "steps", out _))
        {
            return [PlanOf(root)];
        }

        if (root.ValueKind == JsonValueKind.Array)
        {
            return root.EnumerateArray().Select(PlanOf).ToList();
        }

        error = "the answer's JSON has no \"plans\" array.";
        return null;
    }

    private static List<RawStep> PlanOf(JsonElement plan)
    {
        var steps = plan.ValueKind == JsonValueKind.Object && TryGet(plan, "steps", out var s) ? s : plan;
        return steps.ValueKind == JsonValueKind.Array ? steps.EnumerateArray().Select(StepOf).ToList() : [];
    }

    private static RawStep StepOf(JsonElement step)
    {
        if (step.ValueKind != JsonValueKind.Object)
        {
            return new RawStep(step.ValueKind == JsonValueKind.String ? step.GetString() : step.GetRawText(), [], null);
        }

        var action = TryGet(step, "action", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()
            : TryGet(step, "name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        var arguments = new List<(string, string)>();
        List<string>? positional = null;
        if (TryGet(step, "arguments", out var args) || TryGet(step, "args", out args))
        {
            if (args.ValueKind == JsonValueKind.Object)
            {
                arguments.AddRange(args.EnumerateObject().Select(p => (p.Name, Scalar(p.Value))));
            }
            else if (args.ValueKind == JsonValueKind.Array && args.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Object))
            {
                arguments.AddRange(args.EnumerateArray().Select(x => (
                    TryGet(x, "name", out var name) ? Scalar(name) : "",
                    TryGet(x, "value", out var value) ? Scalar(value) : "")));
            }
            else if (args.ValueKind == JsonValueKind.Array)
            {
                positional = args.EnumerateArray().Select(Scalar).ToList();
            }
        }

        return new RawStep(action, arguments, positional);
    }

    private static string Scalar(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText();

    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }
}
