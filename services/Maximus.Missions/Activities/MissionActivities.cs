using System.Diagnostics;
using Dapr.Workflow;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Missions.Learning;
using Maximus.Missions.Workflows;
using Maximus.Reflection.Client;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Activities;

/// <summary>
/// Builds the belief state: the plugin's manifest and state, the agent's recent memories, and what memory recalls for this
/// plugin and goal (<see cref="MissionRecall"/>).
/// </summary>
public sealed class ObserveActivity(IServiceInvoker invoker) : WorkflowActivity<ObserveInput, BeliefState>
{
    /// <summary>How many recent episodes are recalled into the belief state.</summary>
    public const int RecalledMemories = 5;

    public override async Task<BeliefState> RunAsync(WorkflowActivityContext context, ObserveInput input)
    {
        var started = Stopwatch.GetTimestamp();
        var manifest = await invoker.GetAsync<PluginManifest>(input.PluginAppId, PluginContract.WithContext(PluginContract.ManifestMethod, input.Context))
            .ConfigureAwait(false);
        if (manifest.ContractVersion != PluginContract.Version)
        {
            throw new InvalidOperationException($"Plugin '{input.PluginAppId}' speaks contract v{manifest.ContractVersion}; this Maximus speaks v{PluginContract.Version}.");
        }

        var state = await invoker.GetAsync<PluginState>(input.PluginAppId, PluginContract.WithContext(PluginContract.StateMethod, input.Context))
            .ConfigureAwait(false);
        var memories = await invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(input.AgentId)}/episodic?limit={RecalledMemories}")
            .ConfigureAwait(false);
        var goal = input.Goal is { Count: > 0 } given ? given : state.Goal ?? [];
        var recalled = await new MissionRecall(invoker).RecallAsync(input.AgentId, input.PluginAppId, manifest, state, goal, input.Description).ConfigureAwait(false);
        return new BeliefState(manifest, state, memories.Items, Stopwatch.GetElapsedTime(started).TotalMilliseconds, recalled);
    }
}

/// <summary>Asks the planner service for candidate plans.</summary>
public sealed class PlanActivity(IServiceInvoker invoker) : WorkflowActivity<PlanInput, PlanOutput>
{
    public override async Task<PlanOutput> RunAsync(WorkflowActivityContext context, PlanInput input)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await invoker.InvokeAsync<PlanningRequest, PlanningResponse>(
            AppIds.Planner, "v1/plans",
            new PlanningRequest(input.Actions, input.State, input.Goal, input.MaxCandidates, Feedback: input.Feedback, ExcludedSteps: input.ExcludedSteps, Planner: input.Planner,
                AllowFallback: input.AllowFallback, Memories: input.Memories)).ConfigureAwait(false);
        return new PlanOutput(response, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>
/// Simulates every candidate before anything is executed: the contract model (declared preconditions and effects,
/// exact) composed with the empirical model (success rates of actions in similar states, learned from outcomes).
/// With a model configured (an <see cref="Microsoft.Extensions.AI.IChatClient"/>), actions that declare nothing are
/// simulated by the LLM world model (SimuRA) instead of being assumed to succeed half the time. Preconditions that earlier
/// missions learned (recalled from semantic memory) lower the probability of a step whose learned precondition does not
/// hold, from the first mission after a restart.
/// </summary>
public sealed class SimulateActivity(ContractWorldModel contract, EmpiricalWorldModel empirical, IServiceProvider services) : WorkflowActivity<SimulateInput, SimulateOutput>
{
    public override async Task<SimulateOutput> RunAsync(WorkflowActivityContext context, SimulateInput input)
    {
        var started = Stopwatch.GetTimestamp();
        var undeclared = input.Actions.Any(a => a.Preconditions is not { Count: > 0 } && a.Effects is not { Count: > 0 });
        IWorldModel predictor = undeclared && services.GetService(typeof(Microsoft.Extensions.AI.IChatClient)) is Microsoft.Extensions.AI.IChatClient chat
            ? new LlmWorldModel(chat)
            : contract;
        var worldModel = new LearnedPreconditionWorldModel(new CompositeWorldModel(predictor, empirical, input.PluginAppId), input.Preconditions ?? []);
        var results = new List<SimulationResult>(input.Candidates.Count);
        foreach (var candidate in input.Candidates)
        {
            results.Add(await worldModel.SimulateAsync(new SimulationRequest(input.Actions, input.State, input.Goal, candidate.Steps, input.Memories), CancellationToken.None)
                .ConfigureAwait(false));
        }

        return new SimulateOutput(results, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>Runs one step through the executor service.</summary>
public sealed class ExecuteStepActivity(IServiceInvoker invoker) : WorkflowActivity<ExecuteStepRequest, ExecuteStepResponse>
{
    public override Task<ExecuteStepResponse> RunAsync(WorkflowActivityContext context, ExecuteStepRequest input) =>
        invoker.InvokeAsync<ExecuteStepRequest, ExecuteStepResponse>(AppIds.Executor, "v1/steps", input);
}

/// <summary>The mission's own log goes to the reflector synchronously (CRITICAL): its lessons are part of the result.</summary>
public sealed class ReflectActivity(PrioritizedReflectorClient reflector) : WorkflowActivity<ExecutionLog, ReflectOutput>
{
    public override async Task<ReflectOutput> RunAsync(WorkflowActivityContext context, ExecutionLog input)
    {
        var started = Stopwatch.GetTimestamp();
        var submitted = await reflector.SubmitAsync(input with { Priority = ReflectionPriority.Critical }).ConfigureAwait(false);
        return new ReflectOutput(submitted.Reflection!, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>
/// Teaches the empirical world model, stores the mission in memory and announces its completion: the episode line, and
/// (<see cref="MissionReflection"/>) the episode, procedure and facts with their provenance.
/// </summary>
public sealed class RememberActivity(IServiceInvoker invoker, IEventBus bus, EmpiricalWorldModel empirical) : WorkflowActivity<RememberInput, RememberOutput>
{
    public override async Task<RememberOutput> RunAsync(WorkflowActivityContext context, RememberInput input)
    {
        var started = Stopwatch.GetTimestamp();
        if (input.Outcomes is { Count: > 0 } outcomes)
        {
            // The world model learns from what really happened.
            await empirical.LearnAsync(outcomes, CancellationToken.None).ConfigureAwait(false);
        }

        var tags = new Dictionary<string, string>
        {
            ["missionId"] = input.MissionId,
            ["kind"] = "mission",
            ["goalReached"] = input.GoalReached ? "true" : "false",
            ["steps"] = input.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (input.Report is { } report)
        {
            tags[LearnedFacts.PluginTag] = report.PluginAppId;
            tags[LearnedFacts.PhaseTag] = "remember";
        }

        var plan = input.Plan.Count == 0 ? "no step" : string.Join(" ", input.Plan);
        var episode = await invoker.InvokeAsync<AppendEpisodeRequest, EpisodicMemory>(
            AppIds.Memory,
            $"v1/memory/{Uri.EscapeDataString(input.AgentId)}/episodic",
            new AppendEpisodeRequest($"Mission '{input.Summary}': {plan}", AppIds.Orchestrator, input.Outcome, tags, Id: $"mission-{input.MissionId}"))
            .ConfigureAwait(false);
        if (input.Report is not null)
        {
            await new MissionReflection(invoker).WriteAsync(input).ConfigureAwait(false);
        }

        await bus.PublishAsync(new MissionCompletedIntegrationEvent(input.MissionId, input.AgentId, input.Outcome, input.GoalReached, input.Steps)
        {
            Id = $"mission-completed-{input.MissionId}",
        }).ConfigureAwait(false);
        return new RememberOutput(episode.Id, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
