using System.ComponentModel;
using Maximus.Contracts;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Missions.Workflows;
using Maximus.Planning.WorldModels;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>One candidate plan and what the world model predicts it will do.</summary>
/// <param name="Steps">The steps in PDDL form, e.g. <c>(stack a b)</c>.</param>
/// <param name="Planner">Who proposed it: symbolic or llm.</param>
public sealed record SimulatedCandidate(IReadOnlyList<string> Steps, string Planner, SimulationResult Simulation);

/// <summary>What <c>plan_simulate</c> found: the candidates, their predicted outcomes, and which one a mission would execute.</summary>
/// <param name="Best">The 0-based index of the candidate a mission would execute (the mission's critic: valid, reaches the goal, most likely to succeed, shortest); null when none would do.</param>
public sealed record PlanSimulation(
    string PluginAppId,
    string? Context,
    IReadOnlyList<ContractLiteral> Goal,
    IReadOnlyList<SimulatedCandidate> Candidates,
    int? Best,
    string? FailureReason,
    long NodesExpanded,
    double PlanningMs);

/// <summary><c>plan_simulate</c>: think before acting, without acting.</summary>
[McpServerToolType]
internal sealed class PlanningTools(MaximusApi api, IServiceProvider services)
{
    [McpServerTool(Name = "plan_simulate", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Plans without executing: asks the planner for candidate plans from the plugin's current state to the goal, then " +
        "simulates each with the world model (preconditions and effects, plus success rates learned from past missions) " +
        "and returns every candidate with its predicted outcome: valid, goalReached, successProbability and the first " +
        "step that would fail. Nothing in the world changes. Give plugin and context, or domain and problem as PDDL text " +
        "(a PDDL environment is created; its id comes back as context for mission_start).")]
    public async Task<PlanSimulation> SimulateAsync(
        [Description("The plugin's app id (see plugins_list), e.g. pddl-env. Omit when giving domain and problem.")] string? plugin = null,
        [Description("The plugin's context, e.g. the PDDL environment id.")] string? context = null,
        [Description("PDDL domain text (with problem).")] string? domain = null,
        [Description("PDDL problem text (with domain).")] string? problem = null,
        [Description("The goal as literals; omit to use the plugin's own goal.")] ContractLiteral[]? goal = null,
        [Description("How many candidate plans, from 1 to 10.")] int maxCandidates = 3,
        [Description("auto, symbolic or llm.")] string planner = "auto",
        CancellationToken cancellationToken = default)
    {
        var hasPddl = !string.IsNullOrWhiteSpace(domain) || !string.IsNullOrWhiteSpace(problem);
        if (hasPddl && (string.IsNullOrWhiteSpace(domain) || string.IsNullOrWhiteSpace(problem)))
        {
            throw ToolErrors.Invalid(string.IsNullOrWhiteSpace(domain) ? "domain" : "problem", "is required with the other (PDDL domain and problem go together).");
        }

        if (!hasPddl && string.IsNullOrWhiteSpace(plugin))
        {
            throw ToolErrors.Invalid("plugin", "is required, unless domain and problem (PDDL text) are given.");
        }

        if (maxCandidates is < 1 or > 10)
        {
            throw ToolErrors.Invalid("maxCandidates", "must be from 1 to 10.");
        }

        if (hasPddl)
        {
            context = (await api.CreatePddlEnvironmentAsync(domain!, problem!, cancellationToken).ConfigureAwait(false)).EnvironmentId;
            plugin = AppIds.PddlPlugin;
        }

        var manifest = await api.GetManifestAsync(plugin!, context, cancellationToken).ConfigureAwait(false);
        var state = await api.GetStateAsync(plugin!, context, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<ContractLiteral> target = goal is { Length: > 0 } ? goal : state.Goal
            ?? throw ToolErrors.Invalid("goal", $"is required: the plugin {plugin} declares no goal for this context.");
        var plans = await api.PlanAsync(new PlanningRequest(manifest.Actions, state, target, maxCandidates, Planner: planner), cancellationToken)
            .ConfigureAwait(false);

        var worldModel = new CompositeWorldModel(
            services.GetService<ContractWorldModel>() ?? new ContractWorldModel(),
            services.GetService<EmpiricalWorldModel>() ?? new EmpiricalWorldModel(services.GetRequiredService<IStateStore>()),
            plugin!);
        var candidates = new List<SimulatedCandidate>(plans.Candidates.Count);
        foreach (var candidate in plans.Candidates)
        {
            var simulation = await worldModel.SimulateAsync(new SimulationRequest(manifest.Actions, state, target, candidate.Steps), cancellationToken)
                .ConfigureAwait(false);
            candidates.Add(new SimulatedCandidate([.. candidate.Steps.Select(s => s.ToString())], candidate.Planner, simulation));
        }

        // The mission's own critic: what a mission would execute from these candidates.
        var chosen = MissionWorkflow.Critic(plans.Candidates, [.. candidates.Select(c => c.Simulation)]);
        int? best = chosen is { } c ? IndexOf(plans.Candidates, c.Plan) : null;
        return new PlanSimulation(plugin!, context, target, candidates, best, plans.FailureReason, plans.NodesExpanded, plans.ElapsedMs);
    }

    private static int IndexOf(IReadOnlyList<CandidatePlan> candidates, CandidatePlan plan)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (ReferenceEquals(candidates[i], plan))
            {
                return i;
            }
        }

        return -1;
    }
}
