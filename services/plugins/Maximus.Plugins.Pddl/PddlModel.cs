namespace Maximus.Plugins.Pddl;

/// <summary>A declared type and its parent; <c>object</c> is the root and has no parent.</summary>
public sealed record PddlType(string Name, string? Parent);

/// <summary>A name with its type: a parameter (<c>?x</c>), a constant or an object.</summary>
public sealed record PddlTypedName(string Name, string Type = PddlDomain.ObjectType);

/// <summary>A predicate declaration; parameter names keep their '?'.</summary>
public sealed record PddlPredicate(string Name, IReadOnlyList<PddlTypedName> Parameters)
{
    public int Arity => Parameters.Count;
}

/// <summary>
/// A possibly negated atom. Arguments are variables (<c>?x</c>) inside actions and objects or
/// constants in a problem. The predicate <c>=</c> is equality.
/// </summary>
public sealed record PddlLiteral(string Predicate, IReadOnlyList<string> Arguments, bool Negated = false)
{
    public const string EqualityPredicate = "=";

    public bool IsEquality => Predicate == EqualityPredicate;

    public override string ToString()
    {
        var atom = Arguments.Count == 0 ? $"({Predicate})" : $"({Predicate} {string.Join(' ', Arguments)})";
        return Negated ? $"(not {atom})" : atom;
    }
}

/// <summary>A STRIPS action schema: a conjunction of literals as precondition, add and delete effects.</summary>
public sealed record PddlAction(
    string Name,
    IReadOnlyList<PddlTypedName> Parameters,
    IReadOnlyList<PddlLiteral> Preconditions,
    IReadOnlyList<PddlLiteral> Effects);

/// <summary>A parsed PDDL domain (STRIPS subset). All symbols are lower case.</summary>
public sealed record PddlDomain(
    string Name,
    IReadOnlyList<string> Requirements,
    IReadOnlyList<PddlType> Types,
    IReadOnlyList<PddlTypedName> Constants,
    IReadOnlyList<PddlPredicate> Predicates,
    IReadOnlyList<PddlAction> Actions)
{
    public const string ObjectType = "object";

    /// <summary>The text the domain was parsed from, when it came from <see cref="PddlParser"/>.</summary>
    public string? SourceText { get; init; }

    public PddlAction? FindAction(string name) =>
        Actions.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    public bool HasType(string name) =>
        name == ObjectType || Types.Any(t => t.Name == name);

    /// <summary>True when <paramref name="type"/> is <paramref name="ancestor"/> or inherits from it.</summary>
    public bool IsSubtypeOf(string type, string ancestor)
    {
        if (ancestor == ObjectType || type == ancestor)
        {
            return true;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? current = type;
        while (current is not null && seen.Add(current))
        {
            if (current == ancestor)
            {
                return true;
            }

            current = Types.FirstOrDefault(t => t.Name == current)?.Parent;
        }

        return false;
    }
}

/// <summary>A parsed PDDL problem. Untyped objects have type <c>object</c>.</summary>
public sealed record PddlProblem(
    string Name,
    string DomainName,
    IReadOnlyList<PddlTypedName> Objects,
    IReadOnlyList<PddlLiteral> Init,
    IReadOnlyList<PddlLiteral> Goal)
{
    /// <summary>The text the problem was parsed from, when it came from <see cref="PddlParser"/>.</summary>
    public string? SourceText { get; init; }
}
