using Maximus.Contracts.Execution;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Missions.Activities;
using Maximus.Missions.Learning;
using Maximus.Missions.Workflows;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Tests;

/// <summary>Recall in the mission workflow (fake workflow context): the skill library checked before use, and what reaches reflection.</summary>
public sealed class MissionRecallTests
{
    private static readonly PluginAction Move = new(
        "move",
        [new ActionParameter("x")],
        Preconditions: [L("at-start", "?x")],
        Effects: [L("at-goal", "?x"), new ContractLiteral("at-start", ["?x"], Negated: true)]);

    private static readonly IReadOnlyList<ContractLiteral> Goal = [L("at-goal", "a"), L("at-goal", "b")];

    private static readonly PluginState Start = State(false, L("at-start", "a"), L("at-start", "b"));
    private static readonly PluginState AfterA = State(false, L("at-goal", "a"), L("at-start", "b"));
    private static readonly PluginState Done = State(true, L("at-goal", "a"), L("at-goal", "b"));

    private const string Pattern = "(at-goal ?x1) (at-goal ?x2)";

    private static readonly Recollection Procedure = new(
        new MemoryEntry("procedure-1", "tester", MemoryType.Procedural, "to reach the goal", DateTimeOffset.UnixEpoch,
            Tags: new Dictionary<string, string> { ["missionId"] = "mission-0", ["step"] = "mission-0/execute" },
            Procedure: new Procedure(Pattern, ["(move ?x1)", "(move ?x2)"], 3, 1)),
        "procedure for the goal pattern", 0.9);

    private static readonly Recollection Precondition = new(
        new MemoryEntry("precondition-1", "tester", MemoryType.Semantic, "move requires (power)", DateTimeOffset.UnixEpoch,
            Fact: new SemanticFact("move", LearnedFacts.RequiresPrecondition, "(power)")),
        "precondition learned for move: (power)", 0.8);

    [Fact]
    public async Task A_recalled_procedure_that_simulates_cleanly_is_executed_without_calling_the_planner()
    {
        var ctx = Scripted(Procedure, Precondition)
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.DoesNotContain(ctx.Calls, c => c.Name == nameof(PlanActivity));
        Assert.Equal(["(move a)", "(move b)"], result.Plan);
        Assert.Equal(MissionWorkflow.MemoryPlanner, result.Planner);
        var simulated = Assert.Single(ctx.InputsOf<SimulateInput>(nameof(SimulateActivity)));
        Assert.Equal(MissionWorkflow.MemoryPlanner, Assert.Single(simulated.Candidates).Planner);
        Assert.Equal(new LearnedPrecondition("move", "(power)", "precondition-1, memory"), Assert.Single(simulated.Preconditions!));
        Assert.Equal(["procedure-1", "precondition-1"], simulated.Memories!.Select(m => m.Id));
        Assert.Equal(
            [new RecalledMemory("procedure-1", "procedural", "procedure for the goal pattern; simulated cleanly from the current state: executed as the plan"),
             new RecalledMemory("precondition-1", "semantic", "precondition learned for move: (power)")],
            result.Recalled);
        var report = Assert.Single(ctx.InputsOf<RememberInput>(nameof(RememberActivity))).Report!;
        Assert.Equal("procedure-1", report.UsedProcedure?.Id);
    }

    [Fact]
    public async Task A_recalled_procedure_that_almost_fits_keeps_its_valid_prefix_and_the_planner_continues_from_it()
    {
        // The stored steps move a twice: the second move cannot run, the first one can.
        var stale = Procedure with { Entry = Procedure.Entry with { Procedure = new Procedure(Pattern, ["(move ?x1)", "(move ?x1)"]) } };
        var rejectedAfterA = new SimulationResult(false, false, 0, 1, "(at-start a) does not hold", AfterA.Facts,
            [new StepPrediction(0, "(move a)", true, [], AfterA.Facts), new StepPrediction(1, "(move a)", false, ["(at-start a)"], AfterA.Facts)]);
        var ctx = Scripted(stale)
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(new CandidatePlan([Step("b")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), s => s.Candidates[0].Planner == MissionWorkflow.MemoryPlanner ? Simulated(rejectedAfterA) : Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request(maxReplans: 0));

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.Equal(0, result.Replans);
        var plan = Assert.Single(ctx.InputsOf<PlanInput>(nameof(PlanActivity)));
        Assert.Equal(AfterA.Facts.Select(f => f.ToString()), plan.State.Facts.Select(f => f.ToString()));
        Assert.Contains(plan.Feedback, f => f.Contains("recalled procedure procedure-1 does not fit", StringComparison.Ordinal));
        Assert.Equal(["(move a)", "(move b)"], result.Plan);
        Assert.Equal("memory+symbolic", result.Planner);
        Assert.Equal(["rejected", "chosen"], result.Rounds!.Select(r => r.Outcome));
        Assert.Contains("almost fitted: its first 1 step(s) kept", Assert.Single(result.Recalled!).Why, StringComparison.Ordinal);
        Assert.Equal("procedure-1", Assert.Single(ctx.InputsOf<RememberInput>(nameof(RememberActivity))).Report!.UsedProcedure?.Id);
    }

    [Fact]
    public async Task A_recalled_procedure_that_does_not_fit_is_never_executed()
    {
        var fails = new SimulationResult(false, false, 0, 0, "(at-start a) does not hold", Start.Facts,
            [new StepPrediction(0, "(move a)", false, ["(at-start a)"], Start.Facts)]);
        var ctx = Scripted(Procedure)
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(new CandidatePlan([Step("b"), Step("a")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), s => s.Candidates[0].Planner == MissionWorkflow.MemoryPlanner ? Simulated(fails) : Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? Done : AfterA));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(["(move b)", "(move a)"], ctx.InputsOf<ExecuteStepRequest>(nameof(ExecuteStepActivity)).Select(r => r.Step.ToString()));
        Assert.Equal("symbolic", result.Planner);
        Assert.Equal(0, result.Replans);
        Assert.Contains("did not fit the current state, not executed", Assert.Single(result.Recalled!).Why, StringComparison.Ordinal);
        Assert.Null(Assert.Single(ctx.InputsOf<RememberInput>(nameof(RememberActivity))).Report!.UsedProcedure);
    }

    [Fact]
    public async Task A_procedure_for_another_goal_or_a_mission_without_simulation_is_not_offered()
    {
        var other = Procedure with { Entry = Procedure.Entry with { Procedure = new Procedure("(at-goal ?x1)", ["(move ?x1)"]) } };
        var ctx = Scripted(other)
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(new CandidatePlan([Step("a"), Step("b")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));
        var unsimulated = Scripted(Procedure)
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(new CandidatePlan([Step("a"), Step("b")], "symbolic")))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());
        var acting = await new MissionWorkflow().RunAsync(unsimulated, Request() with { Simulate = false });

        Assert.Equal("symbolic", result.Planner);
        Assert.DoesNotContain(ctx.InputsOf<SimulateInput>(nameof(SimulateActivity)), s => s.Candidates.Any(c => c.Planner == MissionWorkflow.MemoryPlanner));
        Assert.Equal("symbolic", acting.Planner);
        Assert.DoesNotContain(unsimulated.Calls, c => c.Name == nameof(SimulateActivity));
        Assert.All(ctx.InputsOf<PlanInput>(nameof(PlanActivity)), p => Assert.Equal("procedure-1", Assert.Single(p.Memories!).Id));
    }

    [Fact]
    public async Task A_step_the_world_model_accepted_but_the_plugin_refused_is_reported_as_a_hidden_precondition_and_avoided_on_replan()
    {
        var executions = 0;
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(new CandidatePlan([Step("a"), Step("b")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => ++executions == 1
                ? new ExecuteStepResponse(new ActionResult(ActionOutcome.Failed, "no", Start, "preconditions not satisfied: (at-start a), (charged a), (power)"), 1)
                : Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        var report = Assert.Single(ctx.InputsOf<RememberInput>(nameof(RememberActivity))).Report!;

        // (at-start a) is declared: only what the plugin does not declare is learned, over the action's parameters.
        Assert.Equal(["(charged ?x)", "(power)"], report.Preconditions.Select(p => p.Literal));
        Assert.All(report.Preconditions, p => Assert.Equal(("move", "(move a)", "mission-1/r0/s0"), (p.Action, p.Step, p.StepId)));
        var replanned = ctx.InputsOf<SimulateInput>(nameof(SimulateActivity)).Last();
        Assert.Equal(["(charged ?x)", "(power)"], replanned.Preconditions!.Select(p => p.Literal));
        Assert.Equal(Done.Facts.Select(f => f.ToString()), report.FinalFacts.Select(f => f.ToString()));
        Assert.Equal("mission-1/r1/s1", report.FinalStep);
    }

    private static FakeWorkflowContext Scripted(params Recollection[] recalled) => new FakeWorkflowContext()
        .On<ObserveInput>(nameof(ObserveActivity), _ => new BeliefState(
            new PluginManifest("test", "1", PluginContract.Version, [Move]), Start with { Goal = Goal }, Array.Empty<EpisodicMemory>(), 1, recalled))
        .On<ExecutionLog>(nameof(ReflectActivity), log =>
            new ReflectOutput(new ReflectionResult(log.LogId, log.MissionId, log.AgentId, "success", 1, [], [], false, "test", DateTimeOffset.UnixEpoch), 1))
        .On<RememberInput>(nameof(RememberActivity), _ => new RememberOutput("episode-1", 2));

    private static MissionRequest Request(int maxReplans = 3) => new("pddl-env", "env-1", "tester", MaxReplans: maxReplans);

    private static PlanOutput Planned(params CandidatePlan[] candidates) => new(new PlanningResponse(candidates, null, 10, 1), 5);

    private static SimulateOutput Simulated(params SimulationResult[] results) => new(results, 1);

    private static SimulationResult Accepting(params PluginState[] after) =>
        new(true, true, 1.0, null, null, after[^1].Facts,
            after.Select((s, i) => new StepPrediction(i, $"step {i}", true, [], s.Facts)).ToList());

    private static ExecuteStepResponse Executed(PluginState state) =>
        new(new ActionResult(ActionOutcome.Succeeded, "ok", state with { Goal = Goal }), 3);

    private static PlanStep Step(string x) => new("move", [new StepArgument("x", x)]);

    private static PluginState State(bool goalReached, params ContractLiteral[] facts) =>
        new([new PluginObject("a"), new PluginObject("b")], facts, Goal, goalReached);

    private static ContractLiteral L(string predicate, params string[] args) => new(predicate, args);
}
