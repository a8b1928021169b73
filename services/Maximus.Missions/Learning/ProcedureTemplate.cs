using System.Security.Cryptography;
using System.Text;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Missions.Learning;

/// <summary>
/// A plan generalised over its objects: every object of the goal, then of the steps, becomes <c>?x1</c>…<c>?xn</c> in the
/// order it first appears, consistently. <see cref="Objects"/> are the objects of the mission that wrote it, in variable
/// order: a variable the current goal does not bind falls back to its original object when the current state has it.
/// </summary>
public sealed record ProcedureTemplate(string GoalPattern, IReadOnlyList<string> Steps, IReadOnlyList<string> Objects)
{
    /// <summary>The tag of a procedure entry that holds <see cref="Objects"/>, space-separated.</summary>
    public const string ObjectsTag = "objects";

    public static ProcedureTemplate Of(IReadOnlyList<ContractLiteral> goal, IReadOnlyList<string> steps)
    {
        ArgumentNullException.ThrowIfNull(goal);
        ArgumentNullException.ThrowIfNull(steps);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var objects = new List<string>();
        string Variable(string name)
        {
            if (name.StartsWith('?'))
            {
                return name;
            }

            if (!variables.TryGetValue(name, out var variable))
            {
                variable = $"?x{variables.Count + 1}";
                variables[name] = variable;
                objects.Add(name);
            }

            return variable;
        }

        var pattern = string.Join(' ', goal.Select(l => (l with { Arguments = l.Arguments.Select(Variable).ToList() }).ToString()));
        var generalised = steps.Select(s => Tokens(s) is [var action, .. var arguments] ? Form(action, arguments.Select(Variable)) : s).ToList();
        return new ProcedureTemplate(pattern, generalised, objects);
    }

    public static string PatternOf(IReadOnlyList<ContractLiteral> goal) => Of(goal, []).GoalPattern;

    /// <summary>A stable entry id per plugin and goal pattern, so every later use updates the same procedure.</summary>
    public static string IdFor(string pluginAppId, string goalPattern) => StableId("procedure", pluginAppId, goalPattern);

    /// <summary>A memory entry id from a kind, a plugin and a key: the same key always names the same entry.</summary>
    public static string StableId(string kind, string pluginAppId, string key)
    {
        ArgumentNullException.ThrowIfNull(pluginAppId);
        var plugin = new string(pluginAppId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').Take(60).ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"{kind}-{plugin}-{hash}";
    }

    /// <summary>
    /// The steps for the current goal, or null when the procedure does not apply: another goal pattern, or a variable that
    /// neither the goal nor the original objects present in <paramref name="objects"/> bind.
    /// </summary>
    public IReadOnlyList<string>? Instantiate(IReadOnlyList<ContractLiteral> goal, IReadOnlyCollection<string> objects)
    {
        var current = Of(goal, []);
        if (!string.Equals(current.GoalPattern, GoalPattern, StringComparison.Ordinal))
        {
            return null;
        }

        var binding = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < current.Objects.Count; i++)
        {
            binding[$"?x{i + 1}"] = current.Objects[i];
        }

        var steps = new List<string>(Steps.Count);
        foreach (var step in Steps)
        {
            if (Tokens(step) is not [var action, .. var arguments])
            {
                return null;
            }

            var values = new List<string>(arguments.Length);
            foreach (var argument in arguments)
            {
                if (!argument.StartsWith('?'))
                {
                    values.Add(argument);
                }
                else if (binding.TryGetValue(argument, out var value) || (Original(argument) is { } original && objects.Contains(original) && binding.TryAdd(argument, value = original)))
                {
                    values.Add(value);
                }
                else
                {
                    return null;
                }
            }

            steps.Add(Form(action, values));
        }

        return steps;
    }

    /// <summary>A step in PDDL form as a plan step over <paramref name="actions"/>; null for an unknown action or a wrong arity.</summary>
    public static PlanStep? ToPlanStep(string step, IReadOnlyList<PluginAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (Tokens(step) is not [var name, .. var arguments]
            || actions.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)) is not { } action
            || (action.Parameters ?? []).Count != arguments.Length)
        {
            return null;
        }

        return new PlanStep(action.Name, action.Parameters!.Select((p, i) => new StepArgument(p.Name.TrimStart('?'), arguments[i])).ToList());
    }

    private string? Original(string variable) =>
        variable.StartsWith("?x", StringComparison.Ordinal) && int.TryParse(variable.AsSpan(2), out var n) && n >= 1 && n <= Objects.Count ? Objects[n - 1] : null;

    private static string[] Tokens(string step) =>
        step.Trim().TrimStart('(').TrimEnd(')').Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Form(string action, IEnumerable<string> arguments)
    {
        var list = arguments.ToList();
        return list.Count == 0 ? $"({action})" : $"({action} {string.Join(' ', list)})";
    }
}
