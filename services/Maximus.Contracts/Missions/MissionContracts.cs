using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Missions;

/// <summary>Starts a mission against a plugin (its app id and optional context, e.g. an environment id).</summary>
/// <param name="Goal">The goal; when null the plugin's state must declare one.</param>
/// <param name="MaxReplans">Planning rounds after the first (rejected simulations, failed or surprising steps).</param>
/// <param name="Simulate">Simulate candidates with the world model before executing (SimuRA); off: act and see.</param>
/// <param name="ApprovalTimeoutSeconds">How long a step marked risky waits for a human approval before the mission fails.</param>
/// <param name="Planner">auto, symbolic or llm (see the planner's API); with <see cref="Simulate"/> "llm" is LLM-proposes, world-model-checks.</param>
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
    string? Planner = "auto");

/// <summary>A human's decision on a risky step (raised as the workflow event <c>approval</c>).</summary>
public sealed record StepApproval(bool Approved, string? By = null, string? Comment = null);

public sealed record MissionAccepted(string MissionId);

/// <summary>Duration of one phase of a mission (plan, simulate, execute, reflect, remember).</summary>
public sealed record PhaseTiming(string Name, double DurationMs);

/// <summary>The outcome of a mission: <see cref="Status"/> is <c>Succeeded</c> or <c>Failed</c>.</summary>
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
    IReadOnlyList<string>? Lessons = null);

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
