using Maximus.Contracts.Planning;

namespace Maximus.Planning.Strips;

/// <summary>
/// An action with every parameter bound. Preconditions and effects are fact ids of a
/// <see cref="FactTable"/>. Static preconditions (over predicates no action changes) were checked
/// while grounding and are not repeated here. Applying it deletes, then adds.
/// </summary>
public sealed class GroundAction
{
    public GroundAction(
        string name,
        IReadOnlyList<StepArgument> arguments,
        IEnumerable<int> preconditions,
        IEnumerable<int> negativePreconditions,
        IEnumerable<int> addEffects,
        IEnumerable<int> deleteEffects)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(arguments);
        Name = name;
        Arguments = arguments;
        Pre = [.. preconditions.Distinct()];
        NegPre = [.. negativePreconditions.Distinct()];
        Add = [.. addEffects.Distinct()];
        // Delete-then-add: a fact both deleted and added ends up true, so it is only added.
        Del = [.. deleteEffects.Distinct().Except(Add)];
    }

    public string Name { get; }

    /// <summary>The arguments in parameter order (parameter name without '?', object).</summary>
    public IReadOnlyList<StepArgument> Arguments { get; }

    public IReadOnlyList<int> Preconditions => Pre;

    public IReadOnlyList<int> NegativePreconditions => NegPre;

    public IReadOnlyList<int> AddEffects => Add;

    public IReadOnlyList<int> DeleteEffects => Del;

    internal int[] Pre { get; }

    internal int[] NegPre { get; }

    internal int[] Add { get; }

    internal int[] Del { get; }

    public PlanStep ToPlanStep() => new(Name, Arguments);

    public override string ToString() => ToPlanStep().ToString();
}
