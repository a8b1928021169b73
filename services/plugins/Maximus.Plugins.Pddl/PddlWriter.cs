using System.Text;

namespace Maximus.Plugins.Pddl;

/// <summary>Writes domains and problems back to PDDL text that <see cref="PddlParser"/> reads.</summary>
public static class PddlWriter
{
    public static string Write(PddlDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var sb = new StringBuilder();
        sb.Append("(define (domain ").Append(domain.Name).Append(")\n");
        if (domain.Requirements.Count > 0)
        {
            sb.Append("  (:requirements ").AppendJoin(' ', domain.Requirements).Append(")\n");
        }

        var types = domain.Types.Where(t => t.Name != PddlDomain.ObjectType).ToList();
        if (types.Count > 0)
        {
            sb.Append("  (:types ").AppendJoin(' ', types.Select(t => $"{t.Name} - {t.Parent ?? PddlDomain.ObjectType}")).Append(")\n");
        }

        if (domain.Constants.Count > 0)
        {
            sb.Append("  (:constants ").Append(TypedList(domain.Constants)).Append(")\n");
        }

        sb.Append("  (:predicates");
        foreach (var predicate in domain.Predicates)
        {
            sb.Append(" (").Append(predicate.Name);
            if (predicate.Parameters.Count > 0)
            {
                sb.Append(' ').Append(TypedList(predicate.Parameters));
            }

            sb.Append(')');
        }

        sb.Append(")\n");
        foreach (var action in domain.Actions)
        {
            sb.Append("  (:action ").Append(action.Name).Append('\n');
            sb.Append("    :parameters (").Append(TypedList(action.Parameters)).Append(")\n");
            sb.Append("    :precondition ").Append(Conjunction(action.Preconditions)).Append('\n');
            sb.Append("    :effect ").Append(Conjunction(action.Effects)).Append(")\n");
        }

        sb.Append(")\n");
        return sb.ToString();
    }

    public static string Write(PddlProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var sb = new StringBuilder();
        sb.Append("(define (problem ").Append(problem.Name).Append(")\n");
        sb.Append("  (:domain ").Append(problem.DomainName).Append(")\n");
        sb.Append("  (:objects ").Append(TypedList(problem.Objects)).Append(")\n");
        sb.Append("  (:init");
        foreach (var atom in problem.Init)
        {
            sb.Append("\n    ").Append(atom);
        }

        sb.Append(")\n");
        sb.Append("  (:goal ").Append(Conjunction(problem.Goal)).Append(")\n");
        sb.Append(")\n");
        return sb.ToString();
    }

    // Every name gets its type when any is typed: in "a b - t" the untyped "a" would take type t.
    private static string TypedList(IReadOnlyList<PddlTypedName> names) =>
        names.All(n => n.Type == PddlDomain.ObjectType)
            ? string.Join(' ', names.Select(n => n.Name))
            : string.Join(' ', names.Select(n => $"{n.Name} - {n.Type}"));

    private static string Conjunction(IReadOnlyList<PddlLiteral> literals) =>
        literals.Count == 0 ? "()" : $"(and {string.Join(' ', literals)})";
}
