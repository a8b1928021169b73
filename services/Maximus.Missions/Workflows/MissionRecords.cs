using Maximus.Contracts.Memory;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Workflows;

public sealed record ObserveInput(string PluginAppId, string? Context, string AgentId);

/// <summary>The belief state: what the plugin can do, the world as it is, and what memory recalls.</summary>
public sealed record BeliefState(PluginManifest Manifest, PluginState State, IReadOnlyList<EpisodicMemory> Memories, double DurationMs);

public sealed record PlanInput(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    int MaxCandidates,
    IReadOnlyList<string> Feedback,
    IReadOnlyList<string>? ExcludedSteps = null,
    string? Planner = "auto",
    bool AllowFallback = true);

public sealed record PlanOutput(PlanningResponse Response, double DurationMs);

public sealed record SimulateInput(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    IReadOnlyList<CandidatePlan> Candidates,
    string PluginAppId = "");

public sealed record SimulateOutput(IReadOnlyList<SimulationResult> Results, double DurationMs);

public sealed record ReflectOutput(ReflectionResult Reflection, double DurationMs);

public sealed record RememberInput(
    string MissionId,
    string AgentId,
    string Summary,
    string Outcome,
    bool GoalReached,
    int Steps,
    IReadOnlyList<string> Plan,
    IReadOnlyList<string> Lessons,
    IReadOnlyList<OutcomeSample>? Outcomes = null);

public sealed record RememberOutput(string EpisodeId, double DurationMs);
