using Maximus.Contracts.Execution;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Maximus.Missions.Activities;
using Maximus.Missions.Workflows;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Tests;

public sealed class MissionWorkflowTests
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

    private static readonly CandidatePlan TwoMoves = new([Step("a"), Step("b")], "symbolic");

    [Fact]
    public async Task Mission_plans_simulates_executes_reflects_and_remembers_in_that_order()
    {
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(TwoMoves))
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.True(result.GoalReached);
        Assert.Equal(["(move a)", "(move b)"], result.Plan);
        Assert.Equal(
            [nameof(ObserveActivity), nameof(PlanActivity), nameof(SimulateActivity), nameof(ExecuteStepActivity), nameof(ExecuteStepActivity), nameof(ReflectActivity), nameof(RememberActivity)],
            ctx.Calls.Select(c => c.Name));
        Assert.Equal(["observe", "plan", "simulate", "execute", "reflect", "remember"], result.Phases.Select(p => p.Name));
        Assert.Equal(["mission-1/r0/s0", "mission-1/r0/s1"], ctx.InputsOf<ExecuteStepRequest>(nameof(ExecuteStepActivity)).Select(r => r.RequestId));
        var reflected = Assert.Single(ctx.InputsOf<ExecutionLog>(nameof(ReflectActivity)));
        Assert.Equal(ReflectionPriority.Critical, reflected.Priority);
        Assert.Equal(ActionOutcome.Succeeded, reflected.Outcome);
        Assert.True(Assert.Single(ctx.InputsOf<RememberInput>(nameof(RememberActivity))).GoalReached);
        Assert.Equal("symbolic", result.Planner);
        var round = Assert.Single(result.Rounds!);
        Assert.Equal(("chosen", 0), (round.Outcome, round.Chosen));
    }

    [Fact]
    public async Task Nothing_is_executed_when_no_candidate_survives_simulation()
    {
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(TwoMoves))
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(new SimulationResult(false, false, 0, 0, "(at-start a) does not hold", [], [])));

        var result = await new MissionWorkflow().RunAsync(ctx, Request(maxReplans: 2));

        Assert.Equal(MissionWorkflow.Failed, result.Status);
        Assert.DoesNotContain(ctx.Calls, c => c.Name == nameof(ExecuteStepActivity));
        Assert.Equal(3, ctx.Calls.Count(c => c.Name == nameof(PlanActivity)));
        Assert.Contains("does not hold", result.Reason, StringComparison.Ordinal);
        var lastPlan = ctx.InputsOf<PlanInput>(nameof(PlanActivity)).Last();
        Assert.Contains(lastPlan.Feedback, f => f.Contains("rejected by simulation", StringComparison.Ordinal));
        Assert.Equal(2, result.Replans);
        Assert.Null(result.Planner);
        Assert.Equal(["rejected", "rejected", "rejected"], result.Rounds!.Select(r => r.Outcome));
        Assert.Contains("after 3 planning rounds", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_result_names_the_planner_of_every_candidate_and_of_every_executed_step()
    {
        // Round 1: the model's plan is rejected after its first step; round 2: the symbolic planner continues the kept prefix.
        var modelPlan = new CandidatePlan([Step("a"), Step("a")], "llm");
        var rejectedAfterA = new SimulationResult(false, false, 0, 1, "(at-start a) does not hold", AfterA.Facts,
            [new StepPrediction(0, "(move a)", true, [], AfterA.Facts), new StepPrediction(1, "(move a)", false, ["(at-start a)"], AfterA.Facts)]);
        var planCalls = 0;
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => ++planCalls == 1 ? Planned(modelPlan) : Planned(new CandidatePlan([Step("b")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), s => s.Candidates[0].Steps[^1].Arguments[0].Value == "b" ? Simulated(Accepting(AfterA, Done)) : Simulated(rejectedAfterA))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request() with { PlannerFallback = false });

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.Equal("llm+symbolic", result.Planner);
        Assert.Equal([["llm"], ["llm+symbolic"]], result.Rounds!.Select(r => r.Planners));
        Assert.Equal(["rejected", "chosen"], result.Rounds!.Select(r => r.Outcome));
        Assert.All(ctx.InputsOf<PlanInput>(nameof(PlanActivity)), p => Assert.False(p.AllowFallback));
    }

    [Fact]
    public async Task A_mission_without_a_plan_fails_with_the_planners_reason_and_executes_nothing()
    {
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => new PlanOutput(new PlanningResponse([], "goal unreachable: (at-goal c)", 3, 1), 1));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Failed, result.Status);
        Assert.False(result.GoalReached);
        Assert.Contains("goal unreachable", result.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Plan);
        Assert.DoesNotContain(ctx.Calls, c => c.Name == nameof(ExecuteStepActivity));
        Assert.Contains(ctx.Calls, c => c.Name == nameof(RememberActivity));
    }

    [Fact]
    public async Task A_surprise_during_execution_replans_from_the_observed_state()
    {
        // Someone else moved b while a was moving: the observed state is not the predicted one.
        var surprise = State(false, L("at-goal", "a"), L("at-elsewhere", "b"));
        var planCalls = 0;
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => ++planCalls == 1 ? Planned(TwoMoves) : Planned(new CandidatePlan([Step("b")], "symbolic")))
            .On<SimulateInput>(nameof(SimulateActivity), s => s.Candidates[0].Steps.Count == 2 ? Simulated(Accepting(AfterA, Done)) : Simulated(Accepting(Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => r.RequestId.EndsWith("r0/s0", StringComparison.Ordinal) ? Executed(surprise) : Executed(Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.Equal(1, result.Replans);
        var replan = ctx.InputsOf<PlanInput>(nameof(PlanActivity)).Last();
        Assert.Contains(replan.State.Facts, f => f.Predicate == "at-elsewhere");
        Assert.Equal(["(move a)", "(move b)"], result.Plan);
        Assert.Equal(["mission-1/r0/s0", "mission-1/r1/s0"], ctx.InputsOf<ExecuteStepRequest>(nameof(ExecuteStepActivity)).Select(r => r.RequestId));
    }

    [Fact]
    public async Task A_failed_step_is_not_counted_as_executed_and_leads_to_a_replan()
    {
        var executions = 0;
        var ctx = Scripted()
            .On<PlanInput>(nameof(PlanActivity), _ => Planned(TwoMoves))
            .On<SimulateInput>(nameof(SimulateActivity), _ => Simulated(Accepting(AfterA, Done)))
            .On<ExecuteStepRequest>(nameof(ExecuteStepActivity), r => ++executions == 1
                ? new ExecuteStepResponse(new ActionResult(ActionOutcome.Failed, "no", Start, "precondition (at-start a) does not hold"), 1)
                : Executed(r.Step.Arguments[0].Value == "a" ? AfterA : Done));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.Equal(1, result.Replans);
        Assert.Equal(["(move a)", "(move b)"], result.Plan);
        Assert.Equal(1, Assert.Single(ctx.InputsOf<ExecutionLog>(nameof(ReflectActivity))).Failures);
        Assert.Equal(1, result.FailedSteps);
    }

    [Fact]
    public async Task A_goal_that_already_holds_needs_no_plan()
    {
        var ctx = new FakeWorkflowContext()
            .On<ObserveInput>(nameof(ObserveActivity), _ => Belief(Done))
            .On<ExecutionLog>(nameof(ReflectActivity), Reflected)
            .On<RememberInput>(nameof(RememberActivity), _ => new RememberOutput("e1", 1));

        var result = await new MissionWorkflow().RunAsync(ctx, Request());

        Assert.Equal(MissionWorkflow.Succeeded, result.Status);
        Assert.DoesNotContain(ctx.Calls, c => c.Name == nameof(PlanActivity));
    }

    [Fact]
    public void Critic_prefers_the_most_likely_candidate_and_the_shorter_one_on_ties()
    {
        var longPlan = new CandidatePlan([Step("a"), Step("b"), Step("a")], "symbolic");
        var shortPlan = new CandidatePlan([Step("a"), Step("b")], "symbolic");
        var unlikely = new CandidatePlan([Step("b")], "symbolic");
        var sure = Accepting(AfterA, Done);

        var choice = MissionWorkflow.Critic(
            [longPlan, shortPlan, unlikely],
            [sure, sure, sure with { SuccessProbability = 0.4 }]);

        Assert.NotNull(choice);
        Assert.Same(shortPlan, choice.Value.Plan);
        Assert.Null(MissionWorkflow.Critic([unlikely], [sure with { SuccessProbability = 0.4 }]));
    }

    private static FakeWorkflowContext Scripted() => new FakeWorkflowContext()
        .On<ObserveInput>(nameof(ObserveActivity), _ => Belief(Start))
        .On<ExecutionLog>(nameof(ReflectActivity), Reflected)
        .On<RememberInput>(nameof(RememberActivity), _ => new RememberOutput("episode-1", 2));

    private static MissionRequest Request(int maxReplans = 3) => new("pddl-env", "env-1", MaxReplans: maxReplans);

    private static BeliefState Belief(PluginState state) =>
        new(new PluginManifest("test", "1", PluginContract.Version, [Move]), state with { Goal = Goal }, Array.Empty<EpisodicMemory>(), 1);

    private static ReflectOutput Reflected(ExecutionLog log) =>
        new(new ReflectionResult(log.LogId, log.MissionId, log.AgentId, "success", 1, ["when X, do Y"], [], false, "test", DateTimeOffset.UnixEpoch), 1);

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
