using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.WorldModels;
using static Maximus.Planning.Tests.Planning;

namespace Maximus.Planning.Tests;

public sealed class ContractWorldModelTests
{
    private static readonly IWorldModel Model = new ContractWorldModel();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (IReadOnlyList<PluginAction> Actions, PluginState State) Blocks()
    {
        var environment = Environment(Domains.Blocksworld, Domains.BlocksworldReverseTower);
        return (environment.Manifest("pddl", "1").Actions, environment.State());
    }

    private static PluginAction Action(IReadOnlyList<PluginAction> actions, string name) => actions.Single(a => a.Name == name);

    [Fact]
    public async Task Detects_the_failing_step_and_its_unmet_preconditions()
    {
        var (actions, state) = Blocks();
        PlanStep[] plan = [Step(Action(actions, "unstack"), "a", "b"), Step(Action(actions, "stack"), "a", "c"), Step(Action(actions, "put-down"), "a")];

        var result = await Model.SimulateAsync(new SimulationRequest(actions, state, [Atom("on", "a", "c")], plan), Ct);

        Assert.False(result.Valid);
        Assert.False(result.GoalReached);
        Assert.Equal(0, result.SuccessProbability);
        Assert.Equal(1, result.FailedStepIndex);
        Assert.Equal(2, result.Steps.Count);
        Assert.True(result.Steps[0].PreconditionsHold);
        var failed = result.Steps[1];
        Assert.False(failed.PreconditionsHold);
        Assert.Equal("(stack a c)", failed.Step);
        Assert.Equal(["(clear c)"], failed.UnmetPreconditions);
        Assert.Equal("step 1 (stack a c): preconditions not satisfied: (clear c)", result.Reason);
        Assert.Contains(result.PredictedFacts, f => f.ToString() == "(holding a)");
    }

    [Fact]
    public async Task Valid_plan_reaching_the_goal_has_probability_one_and_predicts_each_state()
    {
        var (actions, state) = Blocks();
        PlanStep[] plan = [Step(Action(actions, "unstack"), "a", "b"), Step(Action(actions, "put-down"), "a")];

        var result = await Model.SimulateAsync(new SimulationRequest(actions, state, [Atom("ontable", "a"), Not("on", "a", "b")], plan), Ct);

        Assert.True(result.Valid);
        Assert.True(result.GoalReached);
        Assert.Equal(1.0, result.SuccessProbability);
        Assert.Null(result.FailedStepIndex);
        Assert.Null(result.Reason);
        Assert.Contains(result.Steps[0].PredictedFacts, f => f.ToString() == "(holding a)");
        Assert.DoesNotContain(result.Steps[1].PredictedFacts, f => f.ToString() == "(holding a)");
        Assert.Contains(result.PredictedFacts, f => f.ToString() == "(ontable a)");
    }

    [Fact]
    public async Task Plan_that_runs_but_misses_the_goal_is_valid_without_reaching_it()
    {
        var (actions, state) = Blocks();

        var result = await Model.SimulateAsync(
            new SimulationRequest(actions, state, [Atom("on", "b", "a")], [Step(Action(actions, "unstack"), "a", "b")]),
            Ct);

        Assert.True(result.Valid);
        Assert.False(result.GoalReached);
        Assert.Equal("goal not reached: (on b a) not predicted to hold", result.Reason);
    }

    [Fact]
    public async Task Unknown_action_makes_the_plan_invalid()
    {
        var (actions, state) = Blocks();

        var result = await Model.SimulateAsync(
            new SimulationRequest(actions, state, [], [new PlanStep("fly", [new StepArgument("x", "a")])]),
            Ct);

        Assert.False(result.Valid);
        Assert.Equal(0, result.FailedStepIndex);
        Assert.Equal("step 0 (fly a): unknown action 'fly'", result.Reason);
    }

    [Theory]
    [InlineData("ob", "a", "missing argument 'x' of action 'put-down'")]
    [InlineData("x", "zebra", "unknown object 'zebra' for argument 'x'")]
    public async Task Bad_arguments_make_the_plan_invalid(string name, string value, string reason)
    {
        var (actions, state) = Blocks();

        var result = await Model.SimulateAsync(
            new SimulationRequest(actions, state, [], [new PlanStep("put-down", [new StepArgument(name, value)])]),
            Ct);

        Assert.False(result.Valid);
        Assert.Equal(0, result.FailedStepIndex);
        Assert.EndsWith(reason, result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Action_without_declared_semantics_is_assumed_to_succeed_with_half_probability_and_no_change()
    {
        var (actions, state) = Blocks();
        var mail = new PluginAction("send-mail", [new ActionParameter("to", "string")]);
        PlanStep[] plan =
        [
            new("send-mail", [new StepArgument("to", "ops@example.org")]),
            Step(Action(actions, "unstack"), "a", "b"),
            new("send-mail", [new StepArgument("to", "ops@example.org")]),
        ];

        var result = await Model.SimulateAsync(new SimulationRequest([.. actions, mail], state, [Atom("holding", "a")], plan), Ct);

        Assert.True(result.Valid);
        Assert.True(result.GoalReached);
        Assert.Equal(0.25, result.SuccessProbability, 6);
        Assert.Equal(
            state.Facts.Select(f => f.ToString()).Order(StringComparer.Ordinal),
            result.Steps[0].PredictedFacts.Select(f => f.ToString()).Order(StringComparer.Ordinal));
    }
}
