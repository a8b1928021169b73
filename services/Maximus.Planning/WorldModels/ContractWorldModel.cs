using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;

namespace Maximus.Planning.WorldModels;

/// <summary>
/// Simulates a plan exactly with the preconditions and effects the plugin manifest declares.
/// A step whose action declares neither is "unknown": assumed to succeed with probability 0.5
/// and to leave the state unchanged. A step whose preconditions fail has probability 0 and
/// ends the simulation; so does an unknown action name or a bad argument (the plan is invalid).
/// </summary>
public sealed class ContractWorldModel : IWorldModel
{
    public const double UnknownActionProbability = 0.5;

    public Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Simulate(request, ct));
    }

    /// <summary>The synchronous simulation behind <see cref="SimulateAsync"/>.</summary>
    public static SimulationResult Simulate(SimulationRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.State);
        var actions = new Dictionary<string, PluginAction>(StringComparer.OrdinalIgnoreCase);
        foreach (var action in request.Actions ?? [])
        {
            actions.TryAdd(action.Name, action);
        }

        var objectTypes = ObjectTypes(request);
        var facts = new FactSet(request.State.Facts ?? []);
        var steps = new List<StepPrediction>();
        var probability = 1.0;
        var plan = request.Plan ?? [];
        var goal = request.Goal ?? [];

        SimulationResult Invalid(int index, string step, string reason, IReadOnlyList<string> unmet)
        {
            steps.Add(new StepPrediction(index, step, false, unmet, facts.ToList(), 0));
            return new SimulationResult(false, false, 0, index, $"step {index} {step}: {reason}", facts.ToList(), steps);
        }

        for (var i = 0; i < plan.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var step = plan[i];
            var text = step.ToString();
            if (!actions.TryGetValue(step.Action, out var action))
            {
                return Invalid(i, text, $"unknown action '{step.Action}'", []);
            }

            var preconditions = action.Preconditions ?? [];
            var effects = action.Effects ?? [];
            var declared = preconditions.Count > 0 || effects.Count > 0;

            // Arguments of actions without declared semantics need not be world objects (an e-mail address, say).
            if (Bind(action, step, declared ? objectTypes : null, out var binding) is { } argumentError)
            {
                return Invalid(i, text, argumentError, []);
            }

            if (!declared)
            {
                probability *= UnknownActionProbability;
                steps.Add(new StepPrediction(i, text, true, [], facts.ToList(), UnknownActionProbability));
                continue;
            }

            var unmet = preconditions
                .Select(p => Substitute(p, binding))
                .Where(p => !facts.Holds(p))
                .Select(p => p.ToString())
                .ToList();
            if (unmet.Count > 0)
            {
                return Invalid(i, text, $"preconditions not satisfied: {string.Join(", ", unmet)}", unmet);
            }

            foreach (var effect in effects.Where(e => e.Negated))
            {
                facts.Remove(Substitute(effect, binding));
            }

            foreach (var effect in effects.Where(e => !e.Negated && e.Predicate != Grounder.EqualityPredicate))
            {
                facts.Add(Substitute(effect, binding));
            }

            steps.Add(new StepPrediction(i, text, true, [], facts.ToList()));
        }

        var missing = goal.Where(g => !facts.Holds(g)).ToList();
        var reason = missing.Count == 0 ? null : $"goal not reached: {string.Join(", ", missing)} not predicted to hold";
        return new SimulationResult(true, missing.Count == 0, probability, null, reason, facts.ToList(), steps);
    }

    /// <summary>
    /// Maps the step's arguments to the action's parameters; returns an error or null. Values must be
    /// known objects of the parameter's type when <paramref name="objectTypes"/> is given.
    /// </summary>
    private static string? Bind(
        PluginAction action,
        PlanStep step,
        Dictionary<string, HashSet<string>>? objectTypes,
        out Dictionary<string, string> binding)
    {
        binding = new Dictionary<string, string>(StringComparer.Ordinal);
        var given = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var argument in step.Arguments ?? [])
        {
            if (!given.TryAdd(argument.Name.TrimStart('?'), argument.Value))
            {
                return $"argument '{argument.Name}' is given twice";
            }
        }

        foreach (var parameter in action.Parameters ?? [])
        {
            var name = parameter.Name.TrimStart('?');
            if (!given.Remove(name, out var value))
            {
                return $"missing argument '{name}' of action '{action.Name}'";
            }

            if (objectTypes is not null)
            {
                if (!objectTypes.TryGetValue(value, out var types))
                {
                    return $"unknown object '{value}' for argument '{name}'";
                }

                var type = string.IsNullOrEmpty(parameter.Type) ? Grounder.AnyType : parameter.Type;
                if (type != Grounder.AnyType && !types.Contains(type))
                {
                    return $"object '{value}' is not of type '{type}' required by argument '{name}'";
                }
            }

            binding[name] = value;
        }

        if (given.Count > 0)
        {
            return $"unknown argument(s) {string.Join(", ", given.Keys.Select(k => $"'{k}'"))} for action '{action.Name}'";
        }

        return null;
    }

    private static ContractLiteral Substitute(ContractLiteral literal, Dictionary<string, string> binding) =>
        literal with
        {
            Arguments = literal.Arguments
                .Select(a => a.StartsWith('?') && binding.TryGetValue(a[1..], out var value) ? value : a)
                .ToList(),
        };

    /// <summary>Declared objects with their types; objects only seen in facts or the goal have type "object".</summary>
    private static Dictionary<string, HashSet<string>> ObjectTypes(SimulationRequest request)
    {
        var types = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Add(string name, string type)
        {
            if (!types.TryGetValue(name, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                types.Add(name, set);
            }

            set.Add(type);
        }

        foreach (var o in request.State.Objects ?? [])
        {
            Add(o.Name, string.IsNullOrEmpty(o.Type) ? Grounder.AnyType : o.Type);
        }

        foreach (var name in (request.State.Facts ?? []).Concat(request.Goal ?? []).SelectMany(f => f.Arguments))
        {
            Add(name, Grounder.AnyType);
        }

        return types;
    }

    /// <summary>The set of true atoms, in insertion order.</summary>
    private sealed class FactSet
    {
        private readonly Dictionary<string, ContractLiteral> _facts = new(StringComparer.Ordinal);

        public FactSet(IEnumerable<ContractLiteral> facts)
        {
            foreach (var fact in facts.Where(f => !f.Negated))
            {
                Add(fact);
            }
        }

        public void Add(ContractLiteral atom) => _facts.TryAdd(Key(atom), atom with { Negated = false });

        public void Remove(ContractLiteral atom) => _facts.Remove(Key(atom));

        public bool Holds(ContractLiteral literal)
        {
            var atom = literal.Predicate == Grounder.EqualityPredicate
                ? literal.Arguments.Count == 2 && literal.Arguments[0] == literal.Arguments[1]
                : _facts.ContainsKey(Key(literal));
            return atom != literal.Negated;
        }

        public List<ContractLiteral> ToList() => [.. _facts.Values];

        private static string Key(ContractLiteral literal) => FactTable.Key(literal.Predicate, literal.Arguments);
    }
}
