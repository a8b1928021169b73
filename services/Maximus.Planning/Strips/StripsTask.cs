using Maximus.Contracts.Plugins;

namespace Maximus.Planning.Strips;

/// <summary>A grounded planning task: facts, ground actions and the initial state. Built by <see cref="Grounder"/>.</summary>
public sealed class StripsTask
{
    internal StripsTask(
        FactTable facts,
        IReadOnlyList<GroundAction> actions,
        StripsState initialState,
        IReadOnlyDictionary<string, IReadOnlySet<string>> objectTypes,
        IReadOnlySet<string> staticPredicates,
        IReadOnlyList<string> ignoredActions)
    {
        Facts = facts;
        Actions = actions;
        InitialState = initialState;
        ObjectTypes = objectTypes;
        StaticPredicates = staticPredicates;
        IgnoredActions = ignoredActions;
    }

    public FactTable Facts { get; }

    /// <summary>The same task without the ground actions whose PDDL form is in <paramref name="excluded"/>.</summary>
    public StripsTask Without(IReadOnlyCollection<string> excluded)
    {
        ArgumentNullException.ThrowIfNull(excluded);
        if (excluded.Count == 0)
        {
            return this;
        }

        var set = excluded.Select(e => e.Trim()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return new StripsTask(Facts, Actions.Where(a => !set.Contains(a.ToString())).ToList(), InitialState, ObjectTypes, StaticPredicates, IgnoredActions);
    }

    /// <summary>Ground actions reachable from the initial state when delete effects are ignored.</summary>
    public IReadOnlyList<GroundAction> Actions { get; }

    public StripsState InitialState { get; }

    /// <summary>Every known object with the types it was declared with.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> ObjectTypes { get; }

    /// <summary>Predicates that no action changes; their facts come from the initial state only.</summary>
    public IReadOnlySet<string> StaticPredicates { get; }

    /// <summary>Manifest actions the planner cannot use, with the reason (for example "move: declares no effects").</summary>
    public IReadOnlyList<string> IgnoredActions { get; }

    /// <summary>Interns a goal; equalities are decided now and kept in <see cref="StripsGoal.Unsatisfiable"/> when false.</summary>
    public StripsGoal CreateGoal(IEnumerable<ContractLiteral> goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        var literals = goal.ToList();
        var positive = new List<int>();
        var negative = new List<int>();
        var unsatisfiable = new List<ContractLiteral>();
        foreach (var literal in literals)
        {
            if (literal.Predicate == Grounder.EqualityPredicate)
            {
                var equal = literal.Arguments.Count == 2 && literal.Arguments[0] == literal.Arguments[1];
                if (equal == literal.Negated)
                {
                    unsatisfiable.Add(literal);
                }

                continue;
            }

            var id = Facts.Intern(literal);
            (literal.Negated ? negative : positive).Add(id);
        }

        foreach (var id in positive.Intersect(negative))
        {
            unsatisfiable.Add(Facts[id] with { Negated = true });
        }

        return new StripsGoal([.. positive.Distinct()], [.. negative.Distinct()], literals, unsatisfiable);
    }

    /// <summary>Replays a plan from the initial state: every step applicable and the goal reached at the end.</summary>
    public bool IsSolution(IEnumerable<GroundAction> plan, StripsGoal goal)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(goal);
        var state = InitialState;
        foreach (var step in plan)
        {
            if (!state.IsApplicable(step))
            {
                return false;
            }

            state = state.Apply(step);
        }

        return state.Satisfies(goal);
    }
}
