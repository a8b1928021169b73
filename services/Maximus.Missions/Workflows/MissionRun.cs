using Dapr.Workflow;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Missions.Learning;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Workflows;

/// <summary>
/// What one mission knows while it runs: the world as last observed, what was executed and by which planner, the kept
/// plan prefix, the feedback for the next planning round and the one replan counter. Plain state, no I/O: the workflow's
/// steps read and change it between activities, so a replay rebuilds it exactly.
/// </summary>
internal sealed class MissionRun(WorkflowContext context, MissionRequest input)
{
    public WorkflowContext Context { get; } = context;

    public MissionRequest Input { get; } = input;

    public string MissionId => Context.InstanceId;

    public Dictionary<string, double> Timings { get; } = new() { ["observe"] = 0, ["plan"] = 0, ["simulate"] = 0, ["execute"] = 0, ["reflect"] = 0, ["remember"] = 0 };

    /// <summary>The executed steps (PDDL form) and, parallel to them, the planner that proposed each.</summary>
    public List<string> Executed { get; } = [];

    public List<string> ExecutedPlanners { get; } = [];

    /// <summary>Why candidates were rejected or steps failed, for the next planning round.</summary>
    public List<string> Feedback { get; } = [];

    /// <summary>Ground steps the world model expects to fail: left out of later rounds.</summary>
    public List<string> Excluded { get; } = [];

    /// <summary>Outcomes of steps the world model accepted: what the empirical model learns from.</summary>
    public List<OutcomeSample> Outcomes { get; } = [];

    public List<PlanningRound> Rounds { get; } = [];

    /// <summary>Every step run or tried, predicted beside observed (the result's <c>steps</c>).</summary>
    public List<ExecutedStep> Steps { get; } = [];

    /// <summary>Why each replan of the budget was spent, in order.</summary>
    public List<string> ReplanReasons { get; } = [];

    /// <summary>What memory recalled at observe time (procedures, episodes, facts), ranked within each kind.</summary>
    public IReadOnlyList<Recollection> Recalled { get; set; } = [];

    /// <summary>The recalled procedure offered as the first candidate (whole or as a kept prefix); null when none fitted.</summary>
    public Recollection? OfferedProcedure { get; set; }

    /// <summary>What became of each offered procedure (by entry id), for the result's <c>recalled</c> list.</summary>
    public Dictionary<string, string> Verdicts { get; } = new(StringComparer.Ordinal);

    /// <summary>The recalled memories as planning reads them, ranked within each kind.</summary>
    public IReadOnlyList<PlanningMemory> PlanningMemories() => Recalled.Select(r => r.ForPlanning()).ToList();

    /// <summary>
    /// Preconditions learned for this plugin's actions: by earlier missions (recalled semantic facts
    /// <c>requires-precondition</c>) and by this one (steps the plugin rejected so far).
    /// </summary>
    public IReadOnlyList<LearnedPrecondition> LearnedPreconditions() => Recalled
        .Where(r => r.Entry.Fact is { Predicate: LearnedFacts.RequiresPrecondition } f && f.Object.StartsWith('('))
        .Select(r => new LearnedPrecondition(r.Entry.Fact!.Subject, r.Entry.Fact.Object, $"{r.Entry.Id}, {r.Provenance}"))
        .Concat(Discovered.Where(d => d.Literal is not null).Select(d => new LearnedPrecondition(d.Action, d.Literal!, $"step {d.StepId}")))
        .ToList();

    /// <summary>Steps the world model accepted but the plugin rejected, with the undeclared precondition it named.</summary>
    public List<DiscoveredPrecondition> Discovered { get; } = [];

    /// <summary>The request id of the last step that ran (the step that observed <see cref="State"/>).</summary>
    public string? LastStepId { get; set; }

    /// <summary>
    /// Steps the world model has already accepted from the real state (and their planners): a rejected candidate keeps its
    /// valid prefix and the planner continues from the state predicted after it (plan repair).
    /// </summary>
    public List<PlanStep> Prefix { get; } = [];

    public List<string> PrefixPlanners { get; } = [];

    public IReadOnlyList<ContractLiteral> Goal { get; set; } = [];

    /// <summary>The world as the plugin last reported it.</summary>
    public PluginState State { get; set; } = new([], []);

    /// <summary>The state the next planning round starts from: the real state, or the one predicted after the prefix.</summary>
    public PluginState PlanFrom { get; set; } = new([], []);

    public bool GoalReached { get; set; }

    /// <summary>Why the mission stopped without reaching its goal; null while it can go on.</summary>
    public string? Reason { get; set; }

    /// <summary>Planning rounds after the first: rejected simulations, dead ends and diverging executions all count here.</summary>
    public int Replans { get; private set; }

    public int Failures { get; set; }

    public int Surprises { get; set; }

    /// <summary>The request gave the plan (<see cref="MissionRequest.Steps"/>): it is simulated and run, never replanned.</summary>
    public bool FollowsGivenPlan => Input.Steps is { Count: > 0 };

    /// <summary>The mission goes on while nothing stopped it and the goal is not reached.</summary>
    public bool Open => Reason is null && !GoalReached;

    public string Description => Input.Description ?? string.Join(" ", Goal.Select(l => l.ToString()));

    /// <summary>Spends one replan of the budget for <paramref name="reason"/>; false (and nothing spent) when the budget is used up.</summary>
    public bool TryReplan(string reason)
    {
        if (Replans >= Input.MaxReplans)
        {
            return false;
        }

        Replans++;
        ReplanReasons.Add(reason);
        return true;
    }

    /// <summary>Takes a state the plugin reported as the current one.</summary>
    public void Observe(PluginState state)
    {
        State = state;
        GoalReached = state.GoalReached ?? false;
    }

    public void Progress(string phase, int planLength = 0) =>
        Context.SetCustomStatus(new MissionProgress(phase, Executed.Count, planLength, Replans));

    /// <summary>The planners of the executed steps, in the order they were first used (<c>llm+symbolic</c>).</summary>
    public string? ExecutedPlanner => Attribution(ExecutedPlanners);

    public static string? Attribution(IEnumerable<string> planners)
    {
        var distinct = planners.Distinct(StringComparer.Ordinal).ToList();
        return distinct.Count == 0 ? null : string.Join('+', distinct);
    }
}

/// <summary>A candidate as the mission sees it: the kept prefix plus the planner's steps, with the planner of every step.</summary>
internal sealed record Proposal(CandidatePlan Plan, IReadOnlyList<string> StepPlanners);

/// <summary>The plan the critic chose, its simulation (none when the mission acts without simulating) and its planners.</summary>
internal sealed record ChosenPlan(CandidatePlan Plan, SimulationResult? Predicted, IReadOnlyList<string> StepPlanners);
