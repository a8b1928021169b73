using Maximus.Contracts.Execution;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Workflows;

/// <summary>
/// What a mission's result records for reading it later (mission control): each candidate with its simulation, and each
/// executed step with its prediction beside what the plugin observed. Plain functions of the workflow's data, so replay-safe.
/// </summary>
internal static class MissionTrace
{
    /// <summary>The candidates of a round; <paramref name="simulations"/> (parallel to them) is null when the round was not simulated.</summary>
    public static IReadOnlyList<CandidateTrace> Candidates(
        IReadOnlyList<CandidatePlan> candidates, IReadOnlyList<SimulationResult>? simulations, PluginState from, PluginManifest manifest) =>
        [.. candidates.Select((c, i) => simulations?.ElementAtOrDefault(i) is { } sim
            ? new CandidateTrace(c.Planner, [.. c.Steps.Select(s => s.ToString())], sim.Valid, sim.GoalReached, Math.Round(sim.SuccessProbability, 4), sim.Reason,
                Forecast(c.Steps, sim, from, manifest))
            : new CandidateTrace(c.Planner, [.. c.Steps.Select(s => s.ToString())]))];

    /// <summary>
    /// Step <paramref name="index"/> of the chosen plan as run: called after it ran and before its observed state is
    /// taken, so <see cref="MissionRun.State"/> is still the state it ran from.
    /// </summary>
    public static ExecutedStep Executed(MissionRun run, ChosenPlan chosen, int index, ExecuteStepResponse outcome, bool surprise)
    {
        var predictions = chosen.Predicted?.Steps;
        var predicted = predictions is not null && index < predictions.Count ? predictions[index] : null;
        var predictedFrom = index == 0 ? run.State.Facts : predictions?.ElementAtOrDefault(index - 1)?.PredictedFacts;
        return new ExecutedStep(
            run.Rounds.Count,
            index,
            chosen.Plan.Steps[index].ToString(),
            chosen.StepPlanners[index],
            outcome.Result.Outcome.ToString(),
            Math.Round(outcome.DurationMs, 3),
            outcome.Result.Observation,
            outcome.Result.Error,
            predicted is null ? null : Math.Round(predicted.Probability, 4),
            predicted is null || predictedFrom is null ? null : StateChange.Between(predictedFrom, predicted.PredictedFacts),
            outcome.Result.State is { } observed ? StateChange.Between(run.State.Facts, observed.Facts) : null,
            surprise);
    }

    private static List<StepForecast> Forecast(IReadOnlyList<PlanStep> steps, SimulationResult simulation, PluginState from, PluginManifest manifest)
    {
        var forecast = new List<StepForecast>();
        IReadOnlyList<ContractLiteral> before = from.Facts;
        foreach (var prediction in simulation.Steps)
        {
            var step = prediction.Index < steps.Count ? steps[prediction.Index] : null;
            var action = step is null ? null : manifest.Actions.FirstOrDefault(a => string.Equals(a.Name, step.Action, StringComparison.OrdinalIgnoreCase));
            var preconditions = step is null
                ? []
                : (action?.Preconditions ?? []).Select(p => LearnedPreconditionWorldModel.Ground(p.ToString(), step)?.ToString() ?? p.ToString()).ToList();
            forecast.Add(new StepForecast(
                prediction.Step, Math.Round(prediction.Probability, 4), prediction.PreconditionsHold, preconditions, prediction.UnmetPreconditions,
                StateChange.Between(before, prediction.PredictedFacts)));
            before = prediction.PredictedFacts;
        }

        return forecast;
    }
}
