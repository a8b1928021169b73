using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.WorldModels;

/// <summary>Predicts what a plan will do before it is executed.</summary>
public interface IWorldModel
{
    Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct);
}

/// <summary>A plan to simulate from a state, with the actions of the plugin that will run it.</summary>
/// <param name="Memories">What the agent's memory recalls (most relevant first), for the models that read a prompt.</param>
public sealed record SimulationRequest(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    IReadOnlyList<PlanStep> Plan,
    IReadOnlyList<PlanningMemory>? Memories = null);

/// <summary>The predicted outcome of a plan.</summary>
/// <param name="Valid">Every step names a known action with valid arguments and its preconditions hold.</param>
/// <param name="GoalReached">The goal holds in the predicted final state (false when the plan is not valid).</param>
/// <param name="SuccessProbability">Product of the per-step probabilities.</param>
/// <param name="FailedStepIndex">The 0-based index of the first step that cannot run, if any.</param>
/// <param name="Reason">Why the plan is not valid or does not reach the goal; null when it does.</param>
/// <param name="PredictedFacts">The facts after the last simulated step.</param>
/// <param name="Steps">One prediction per simulated step; simulation stops at the first failing step.</param>
public sealed record SimulationResult(
    bool Valid,
    bool GoalReached,
    double SuccessProbability,
    int? FailedStepIndex,
    string? Reason,
    IReadOnlyList<ContractLiteral> PredictedFacts,
    IReadOnlyList<StepPrediction> Steps);

/// <summary>The prediction for one step.</summary>
/// <param name="Step">The step in PDDL form, e.g. <c>(stack a b)</c>.</param>
/// <param name="UnmetPreconditions">Preconditions that do not hold, e.g. <c>(clear b)</c>.</param>
/// <param name="PredictedFacts">The facts after the step.</param>
/// <param name="Probability">The predicted probability that the step succeeds.</param>
public sealed record StepPrediction(
    int Index,
    string Step,
    bool PreconditionsHold,
    IReadOnlyList<string> UnmetPreconditions,
    IReadOnlyList<ContractLiteral> PredictedFacts,
    double Probability = 1.0);
