using System.Text.Json.Serialization;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Workflows;

/// <param name="Goal">The mission's goal when the request gives one (else the plugin's state declares it): what recall looks for.</param>
public sealed record ObserveInput(string PluginAppId, string? Context, string AgentId, IReadOnlyList<ContractLiteral>? Goal = null, string? Description = null);

/// <summary>The belief state: what the plugin can do, the world as it is, and what memory recalls.</summary>
/// <param name="Memories">The agent's most recent episodes.</param>
/// <param name="Recalled">
/// What memory recalls for this agent, plugin and goal, ranked within each kind: procedures whose goal pattern matches,
/// past missions on the plugin, preconditions learned for its actions, facts about the objects. Missing in beliefs
/// journaled before recall existed.
/// </param>
public sealed record BeliefState(
    PluginManifest Manifest,
    PluginState State,
    IReadOnlyList<EpisodicMemory> Memories,
    double DurationMs,
    IReadOnlyList<Recollection>? Recalled = null);

/// <summary>A recalled memory entry, why it was recalled, and its score in its kind's search.</summary>
public sealed record Recollection(MemoryEntry Entry, string Why, double Score)
{
    [JsonIgnore]
    public string Type => Entry.Type.ToString().ToLowerInvariant();

    /// <summary>The mission and workflow step that wrote it, and a procedure's track record.</summary>
    [JsonIgnore]
    public string Provenance
    {
        get
        {
            var parts = new List<string>();
            if (Entry.Tags?.GetValueOrDefault("missionId") is { } mission)
            {
                parts.Add($"mission {mission}");
            }

            if (Entry.Tags?.GetValueOrDefault("step") is { } step)
            {
                parts.Add($"step {step}");
            }

            if (Entry.Procedure is { } p)
            {
                parts.Add($"{p.Successes} successes, {p.Failures} failures");
            }

            return parts.Count == 0 ? "memory" : string.Join(", ", parts);
        }
    }

    public PlanningMemory ForPlanning() => new(Entry.Id, Type, Entry.Procedure is { } p
        ? $"procedure for {p.GoalPattern}: {string.Join(' ', p.Steps)}"
        : Entry.Text, Provenance);
}

public sealed record PlanInput(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    int MaxCandidates,
    IReadOnlyList<string> Feedback,
    IReadOnlyList<string>? ExcludedSteps = null,
    string? Planner = "auto",
    bool AllowFallback = true,
    IReadOnlyList<PlanningMemory>? Memories = null);

public sealed record PlanOutput(PlanningResponse Response, double DurationMs);

public sealed record SimulateInput(
    IReadOnlyList<PluginAction> Actions,
    PluginState State,
    IReadOnlyList<ContractLiteral> Goal,
    IReadOnlyList<CandidatePlan> Candidates,
    string PluginAppId = "",
    IReadOnlyList<PlanningMemory>? Memories = null,
    IReadOnlyList<LearnedPrecondition>? Preconditions = null);

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
    IReadOnlyList<OutcomeSample>? Outcomes = null,
    MissionReport? Report = null);

/// <summary>
/// What reflection writes beyond the episode line: the mission's goal and executed plan (a procedure), the preconditions it
/// discovered and the facts it observed last (semantic facts), and the procedure it used (whose track record it updates).
/// </summary>
/// <param name="UsedProcedure">The recalled procedure some executed steps came from; null when none.</param>
/// <param name="PriorProcedure">The procedure stored for this plugin and goal pattern when the mission began, if any.</param>
/// <param name="FinalStep">The request id of the last executed step: the step that observed <paramref name="FinalFacts"/>.</param>
public sealed record MissionReport(
    string PluginAppId,
    string? Context,
    IReadOnlyList<ContractLiteral> Goal,
    IReadOnlyList<string> Objects,
    IReadOnlyList<ContractLiteral> FinalFacts,
    IReadOnlyList<DiscoveredPrecondition> Preconditions,
    int Surprises,
    int Failures,
    int Replans,
    double DurationMs,
    string? Reason,
    string? Planner,
    MemoryEntry? UsedProcedure,
    MemoryEntry? PriorProcedure,
    string? FinalStep);

/// <summary>A step the world model accepted but the plugin rejected, and the undeclared precondition it reported.</summary>
/// <param name="Literal">The unmet literal over the action's parameters (e.g. <c>(clear-sky)</c>); null when the plugin named none.</param>
/// <param name="StepId">The step's request id: the workflow step that discovered it.</param>
public sealed record DiscoveredPrecondition(string Action, string? Literal, string Step, string StepId, string? Error);

public sealed record RememberOutput(string EpisodeId, double DurationMs);
