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
public sealed record PlanningRound(int Round, IReadOnlyList<string> Planners, int? Chosen, string Outcome, string? Reason = null);

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
    IReadOnlyList<RecalledMemory>? Recalled = null);

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
