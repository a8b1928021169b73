using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Planning;

/// <summary>An argument of a plan step: the action parameter's name and the object bound to it.</summary>
public sealed record StepArgument(string Name, string Value);

/// <summary>One ground action of a plan.</summary>
public sealed record PlanStep(string Action, IReadOnlyList<StepArgument> Arguments)
{
    /// <summary>The PDDL-style form, e.g. <c>(stack a b)</c>.</summary>
    public override string ToString() =>
        Arguments.Count == 0 ? $"({Action})" : $"({Action} {string.Join(' ', Arguments.Select(a => a.Value))})";

    public IReadOnlyDictionary<string, string> ArgumentMap() =>
        Arguments.ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal);
}

/// <summary>Asks the planner for candidate plans from a state to a goal over the plugin's actions.</summary>
/// <param name="Feedback">Why earlier candidates were rejected (from simulation or execution), for replanning.</param>
/// <param name="ExcludedSteps">Ground steps not to use (PDDL form, e.g. <c>(fly p1 a b)</c>): the world model expects them to fail.</param>
/// <param name="Planner">
/// <c>auto</c> (the default; null means the same), <c>symbolic</c> or <c>llm</c>. Auto keeps the symbolic planner whenever
/// an action declares effects, and uses the LLM planner (when a model is configured) for actions without STRIPS effects;
/// <c>llm</c> without a configured model is answered by the symbolic planner unless <paramref name="AllowFallback"/> is off.
/// </param>
/// <param name="AllowFallback">
/// Whether the symbolic planner may answer for the LLM planner (no model, rejected answers, model failure). Off: no
/// candidate and a <see cref="PlanningResponse.FailureReason"/> instead. Every candidate names its planner either way.
/// </param>
/// <param name="Memories">What the agent's memory recalls for this goal (most relevant first): hints for the LLM planner.</param>
public sealed record PlanningRequest(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    int MaxCandidates = 1,
    int NodeLimit = 200_000,
    int TimeLimitMs = 10_000,
    IReadOnlyList<string>? Feedback = null,
    IReadOnlyList<string>? ExcludedSteps = null,
    string? Planner = "auto",
    bool AllowFallback = true,
    IReadOnlyList<PlanningMemory>? Memories = null);

/// <summary>
/// A recalled memory as planning sees it: the entry's id and type, its text, and its provenance (the mission and the
/// workflow step that wrote it, or its track record).
/// </summary>
public sealed record PlanningMemory(string Id, string Type, string Text, string? Provenance = null);

public sealed record CandidatePlan(IReadOnlyList<PlanStep> Steps, string Planner);

/// <summary>The planner's answer; no candidates and a <see cref="FailureReason"/> when no plan was found.</summary>
public sealed record PlanningResponse(
    IReadOnlyList<CandidatePlan> Candidates,
    string? FailureReason,
    long NodesExpanded,
    double ElapsedMs);
