using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.WorldModels;

/// <summary>
/// A state-predicting model's simulation (the contract model, or the LLM model for undeclared actions), with each
/// step's probability multiplied by what the empirical model has learned for that step in its predicted pre-state.
/// The plan's probability is the product.
/// </summary>
public sealed class CompositeWorldModel(IWorldModel predictor, EmpiricalWorldModel empirical, string pluginAppId) : IWorldModel
{
    public async Task<SimulationResult> SimulateAsync(SimulationRequest request, CancellationToken ct)
    {
        var exact = await predictor.SimulateAsync(request, ct).ConfigureAwait(false);
        var steps = new List<StepPrediction>(exact.Steps.Count);
        var probability = 1.0;
        IReadOnlyList<ContractLiteral> before = request.State.Facts;
        foreach (var step in exact.Steps)
        {
            var p = step.Probability;
            if (step.PreconditionsHold && step.Index < request.Plan.Count)
            {
                p *= await empirical.ProbabilityAsync(pluginAppId, request.Plan[step.Index], before, ct).ConfigureAwait(false);
            }

            probability *= p;
            steps.Add(step with { Probability = p });
            before = step.PredictedFacts;
        }

        var unlikely = steps.FirstOrDefault(s => s.PreconditionsHold && s.Probability < 0.5);
        return exact with
        {
            SuccessProbability = exact.Valid ? probability : 0,
            Steps = steps,
            Reason = exact.Reason ?? (unlikely is null ? null : $"{unlikely.Step} failed before in similar states (p = {unlikely.Probability:0.00})"),
        };
    }
}
