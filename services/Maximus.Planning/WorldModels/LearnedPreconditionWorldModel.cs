using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.WorldModels;

/// <summary>
/// A precondition an action needs that its plugin does not declare, learned by an earlier mission (a step the world model
/// accepted was rejected by the plugin) and kept in semantic memory, so it survives a restart.
/// </summary>
/// <param name="Action">The action's name.</param>
/// <param name="Literal">The precondition over the action's parameters, e.g. <c>(clear-sky)</c> or <c>(fuel ?p)</c>.</param>
/// <param name="Source">Where it was learned (the memory entry, the mission and the step), for the simulation's reason.</param>
public sealed record LearnedPrecondition(string Action, string Literal, string? Source = null);

/// <summary>
/// Another world model's simulation, with the probability of every step whose learned precondition does not hold in its
/// predicted pre-state lowered to <see cref="UnmetProbability"/>: the critic rejects such a plan and the planner leaves
/// the step out, before the plugin has to reject it again.
/// </summary>
public sealed class LearnedPreconditionWorldModel(IWorldModel inner, IReadOnlyList<LearnedPrecondition> learned) : IWorldModel
{
    /// <summary>The factor applied to a step whose learned precondition does not hold.</summary>
    public const double UnmetProbability = 0.05;

    public async Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = await inner.SimulateAsync(request, ct).ConfigureAwait(false);
        if (learned.Count == 0)
        {
            return result;
        }

        var steps = new List<StepPrediction>(result.Steps.Count);
        var probability = 1.0;
        string? reason = null;
        IReadOnlyList<ContractLiteral> before = request.State.Facts;
        foreach (var step in result.Steps)
        {
            var p = step.Probability;
            if (step.PreconditionsHold && step.Index < request.Plan.Count && Unmet(request.Plan[step.Index], before) is { } unmet)
            {
                p *= UnmetProbability;
                reason ??= $"{step.Step} requires {unmet.Literal}, which does not hold (learned{(unmet.Source is null ? "" : " from " + unmet.Source)})";
            }

            probability *= p;
            steps.Add(step with { Probability = p });
            before = step.PredictedFacts;
        }

        return result with
        {
            SuccessProbability = result.Valid ? probability : 0,
            Steps = steps,
            Reason = result.Valid && reason is not null ? reason : result.Reason,
        };
    }

    /// <summary>The first learned precondition of the step's action that does not hold in <paramref name="facts"/>; null when all hold.</summary>
    public LearnedPrecondition? Unmet(PlanStep step, IReadOnlyList<ContractLiteral> facts)
    {
        foreach (var precondition in learned.Where(l => string.Equals(l.Action, step.Action, StringComparison.OrdinalIgnoreCase)))
        {
            if (Ground(precondition.Literal, step) is { } literal && !Holds(literal, facts))
            {
                return precondition;
            }
        }

        return null;
    }

    /// <summary>The literal with the step's arguments for its <c>?parameters</c>; null when it names a parameter the step lacks.</summary>
    public static ContractLiteral? Ground(string literal, PlanStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var parsed = LlmWorldModel.Parse([literal]).FirstOrDefault();
        if (parsed is null)
        {
            return null;
        }

        var arguments = step.Arguments.GroupBy(a => a.Name.TrimStart('?'), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var grounded = new List<string>(parsed.Arguments.Count);
        foreach (var argument in parsed.Arguments)
        {
            if (!argument.StartsWith('?'))
            {
                grounded.Add(argument);
            }
            else if (arguments.TryGetValue(argument[1..], out var value))
            {
                grounded.Add(value);
            }
            else
            {
                return null;
            }
        }

        return parsed with { Arguments = grounded };
    }

    private static bool Holds(ContractLiteral literal, IReadOnlyList<ContractLiteral> facts)
    {
        var present = facts.Any(f => !f.Negated && string.Equals(f.Predicate, literal.Predicate, StringComparison.OrdinalIgnoreCase)
            && f.Arguments.SequenceEqual(literal.Arguments, StringComparer.OrdinalIgnoreCase));
        return present != literal.Negated;
    }
}
