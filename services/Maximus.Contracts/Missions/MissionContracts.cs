using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Missions;

/// <summary>Starts a mission against a plugin (its app id and optional context, e.g. an environment id).</summary>
/// <param name="Goal">The goal; when null the plugin's state must declare one.</param>
/// <param name="MaxReplans">Planning rounds after the first (rejected simulations, failed or surprising steps).</param>
/// <param name="Simulate">Simulate candidates with the world model before executing (SimuRA); off: act and see.</param>
/// <param name="ApprovalTimeoutSeconds">How long a step marked risky waits for a human approval before the mission fails.</param>
/// <param name="Planner">auto, symbolic or llm (see the planner's API); with <see cref="Simulate"/> "llm" is LLM-proposes, world-model-checks.</param>
/// <param name="PlannerFallback">
/// When the LLM planner has no model, or its answers are rejected or it fails, the symbolic planner answers instead (the
/// default). Off: such a round has no candidate, so a run measured as "llm" is never answered by another planner.
/// </param>
/// <param name="Steps">
/// An explicit plan: the planner is not asked; the steps are simulated (a plan the world model finds invalid is not run),
/// approved where risky, executed, reflected on and remembered like a planned one. Without a goal, the mission succeeds
/// when every step succeeds; a failed step ends it (there is no planner to replan).
/// </param>
public sealed record MissionRequest(
    string PluginAppId,
    string? Context = null,
    string AgentId = "default",
    IReadOnlyList<ContractLiteral>? Goal = null,
    string? Description = null,
    int MaxCandidates = 3,
    int MaxReplans = 3,
    string? MissionId = null,
    bool Simulate = true,
    int ApprovalTimeoutSeconds = 300,
    string? Planner = "auto",
    bool PlannerFallback = true,
    IReadOnlyList<PlanStep>? Steps = null);

/// <summary>A human's decision on a risky step (raised as the workflow event <c>approval</c>).</summary>
public sealed record StepApproval(bool Approved, string? By = null, string? Comment = null);

public sealed record MissionAccepted(string MissionId);

/// <summary>Duration of one phase of a mission (plan, simulate, execute, reflect, remember).</summary>
public sealed record PhaseTiming(string Name, double DurationMs);

/// <summary>One planning round of a mission: who proposed each candidate and what became of them.</summary>
/// <param name="Round">1 for the first round.</param>
/// <param name="Planners">
/// The planner of each candidate (<c>symbolic</c>, <c>llm</c>); <c>llm+symbolic</c> when a candidate continues a prefix kept
/// from an earlier round that another planner proposed.
/// </param>
/// <param name="Chosen">The 0-based index of the candidate executed; null when none was.</param>
/// <param name="Outcome"><c>chosen</c>, <c>rejected</c> (no candidate passed simulation) or <c>none</c> (no candidate).</param>
/// <param name="Reason">Why no candidate was chosen.</param>
/// <param name="Candidates">Every candidate of the round and what simulation predicted for it; missing in results written before it existed.</param>
public sealed record PlanningRound(
    int Round, IReadOnlyList<string> Planners, int? Chosen, string Outcome, string? Reason = null, IReadOnlyList<CandidateTrace>? Candidates = null);

/// <summary>A candidate plan of a planning round and its simulation (the simulation fields are null when it was not simulated).</summary>
/// <param name="Steps">The steps in PDDL form, e.g. <c>(stack a b)</c>.</param>
/// <param name="Forecast">The world model's prediction per simulated step (simulation stops at the first step that cannot run).</param>
public sealed record CandidateTrace(
    string Planner,
    IReadOnlyList<string> Steps,
    bool? Valid = null,
    bool? GoalReached = null,
    double? SuccessProbability = null,
    string? Reason = null,
    IReadOnlyList<StepForecast>? Forecast = null);

/// <summary>What the world model predicted for one step of a candidate.</summary>
/// <param name="Preconditions">The action's declared preconditions, ground for this step.</param>
/// <param name="Unmet">The preconditions that do not hold in the predicted state before the step.</param>
/// <param name="Change">The predicted state change: facts the step adds and removes.</param>
public sealed record StepForecast(string Step, double Probability, bool PreconditionsHold, IReadOnlyList<string> Preconditions, IReadOnlyList<string> Unmet, StateChange Change);

/// <summary>A change of the world's facts (PDDL form).</summary>
public sealed record StateChange(IReadOnlyList<string> Added, IReadOnlyList<string> Removed)
{
    public static StateChange Between(IEnumerable<ContractLiteral> before, IEnumerable<ContractLiteral> after)
    {
        var old = before.Select(f => f.ToString()).ToHashSet(StringComparer.Ordinal);
        var now = after.Select(f => f.ToString()).ToHashSet(StringComparer.Ordinal);
        return new StateChange([.. now.Except(old).Order(StringComparer.Ordinal)], [.. old.Except(now).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Same facts added and removed.</summary>
    public bool SameAs(StateChange other) =>
        Added.ToHashSet(StringComparer.Ordinal).SetEquals(other.Added) && Removed.ToHashSet(StringComparer.Ordinal).SetEquals(other.Removed);
}

/// <summary>A step the mission ran (or tried to run), with the prediction it was run on and what the plugin observed.</summary>
/// <param name="Round">The planning round whose plan the step belongs to (1-based).</param>
/// <param name="Index">The step's 0-based index in that plan.</param>
/// <param name="Outcome">The plugin's outcome (<c>Succeeded</c>, <c>Failed</c>, ...).</param>
/// <param name="Predicted">The predicted state change; null when the mission did not simulate.</param>
/// <param name="Observed">The state change the plugin reported; null when it reported no state.</param>
/// <param name="Surprise">The step failed, or the observed state differs from the predicted one (a replan follows).</param>
public sealed record ExecutedStep(
    int Round,
    int Index,
    string Step,
    string Planner,
    string Outcome,
    double DurationMs,
    string? Observation,
    string? Error,
    double? PredictedProbability,
    StateChange? Predicted,
    StateChange? Observed,
    bool Surprise);

/// <summary>The outcome of a mission: <see cref="Status"/> is <c>Succeeded</c> or <c>Failed</c>.</summary>
/// <param name="Planner">
/// The planner of the executed steps (<c>symbolic</c>, <c>llm</c>, or both joined by <c>+</c> in the order they were first
/// used); null when nothing was executed.
/// </param>
/// <param name="Rounds">Every planning round with the planner of each candidate.</param>
/// <param name="FailedSteps">Steps the plugin refused or failed: what acting on a wrong plan cost in the real world.</param>
/// <param name="Recalled">
/// Every memory the mission's planning used (procedures offered as candidates or given to the planner, past episodes, facts
/// the world model checked), with why it was recalled: read it to see why a plan was chosen.
/// </param>
/// <param name="Steps">Every step run or tried, predicted beside observed; missing in results written before it existed.</param>
/// <param name="ReplanReasons">Why each replan happened, in order; missing in results written before it existed.</param>
public sealed record MissionResult(
    string MissionId,
    string Status,
    bool GoalReached,
    IReadOnlyList<string> Plan,
    IReadOnlyList<PhaseTiming> Phases,
    int StepsExecuted,
    int Replans,
    string? Reason = null,
    double? QualityScore = null,
    IReadOnlyList<string>? Lessons = null,
    string? Planner = null,
    IReadOnlyList<PlanningRound>? Rounds = null,
    int FailedSteps = 0,
    IReadOnlyList<RecalledMemory>? Recalled = null,
    IReadOnlyList<ExecutedStep>? Steps = null,
    IReadOnlyList<string>? ReplanReasons = null);

/// <summary>A memory a mission recalled: its entry id, its type (<c>procedural</c>, <c>episodic</c>, <c>semantic</c>) and why.</summary>
public sealed record RecalledMemory(string Id, string Type, string Why);

/// <summary>Progress reported as the workflow's custom status.</summary>
public sealed record MissionProgress(string Phase, int StepsExecuted, int PlanLength, int Replans);

/// <summary>A mission as the API shows it.</summary>
public sealed record MissionView(
    string MissionId,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    MissionRequest? Request,
    MissionProgress? Progress,
    MissionResult? Result,
    string? Failure);
