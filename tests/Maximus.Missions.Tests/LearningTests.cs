using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Missions.Learning;
using Maximus.Planning.WorldModels;

namespace Maximus.Missions.Tests;

/// <summary>The pure parts of the loop: procedures over variables, learned preconditions in simulation, memories in prompts.</summary>
public sealed class LearningTests
{
    private static readonly PluginAction Fly = new("fly", [new ActionParameter("p"), new ActionParameter("from"), new ActionParameter("to")],
        Preconditions: [L("at", "?p", "?from")], Effects: [L("at", "?p", "?to"), new ContractLiteral("at", ["?p", "?from"], Negated: true)]);

    [Fact]
    public void A_plan_is_generalised_over_its_objects_consistently_and_instantiated_for_other_objects()
    {
        var template = ProcedureTemplate.Of([L("on", "a", "b"), L("on", "b", "c")], ["(pick-up b)", "(stack b c)", "(pick-up a)", "(stack a b)"]);

        Assert.Equal("(on ?x1 ?x2) (on ?x2 ?x3)", template.GoalPattern);
        Assert.Equal(["(pick-up ?x2)", "(stack ?x2 ?x3)", "(pick-up ?x1)", "(stack ?x1 ?x2)"], template.Steps);
        Assert.Equal(["a", "b", "c"], template.Objects);
        Assert.Equal(["(pick-up y)", "(stack y z)", "(pick-up x)", "(stack x y)"], template.Instantiate([L("on", "x", "y"), L("on", "y", "z")], ["x", "y", "z"]));
        Assert.Null(template.Instantiate([L("on", "x", "y")], ["x", "y"]));
        Assert.Equal(ProcedureTemplate.IdFor("p", template.GoalPattern), ProcedureTemplate.IdFor("p", ProcedureTemplate.PatternOf([L("on", "x", "y"), L("on", "y", "z")])));
        Assert.NotEqual(ProcedureTemplate.IdFor("p", template.GoalPattern), ProcedureTemplate.IdFor("q", template.GoalPattern));
    }

    [Fact]
    public void An_object_only_the_steps_name_falls_back_to_the_original_object_when_the_state_has_it()
    {
        var template = ProcedureTemplate.Of([L("at", "parcel", "city")], ["(drive parcel home hub)", "(drive parcel hub city)"]);

        Assert.Equal(["(drive ?x1 ?x3 ?x4)", "(drive ?x1 ?x4 ?x2)"], template.Steps);
        Assert.Equal(["(drive box home hub)", "(drive box hub town)"], template.Instantiate([L("at", "box", "town")], ["box", "town", "home", "hub"]));
        Assert.Null(template.Instantiate([L("at", "box", "town")], ["box", "town", "home"]));
        var fly = ProcedureTemplate.ToPlanStep("(fly box home town)", [Fly]);
        Assert.Equal([new StepArgument("p", "box"), new StepArgument("from", "home"), new StepArgument("to", "town")], fly!.Arguments);
        Assert.Equal("fly", fly.Action);
        Assert.Null(ProcedureTemplate.ToPlanStep("(fly box home)", [Fly]));
        Assert.Null(ProcedureTemplate.ToPlanStep("(swim box home town)", [Fly]));
    }

    [Fact]
    public async Task A_learned_precondition_that_does_not_hold_lowers_the_step_and_one_that_holds_changes_nothing()
    {
        var learned = new LearnedPreconditionWorldModel(new ContractWorldModel(), [new LearnedPrecondition("fly", "(clear-sky)", "fact-1"), new LearnedPrecondition("fly", "(fuel ?p)")]);
        var step = new PlanStep("fly", [new StepArgument("p", "parcel"), new StepArgument("from", "home"), new StepArgument("to", "city")]);
        PluginState State(params ContractLiteral[] more) => new([], [L("at", "parcel", "home"), .. more]);

        var cloudy = await learned.SimulateAsync(new SimulationRequest([Fly], State(L("fuel", "parcel")), [L("at", "parcel", "city")], [step]), CancellationToken.None);
        var noFuel = await learned.SimulateAsync(new SimulationRequest([Fly], State(L("clear-sky")), [L("at", "parcel", "city")], [step]), CancellationToken.None);
        var fine = await learned.SimulateAsync(new SimulationRequest([Fly], State(L("clear-sky"), L("fuel", "parcel")), [L("at", "parcel", "city")], [step]), CancellationToken.None);

        Assert.Equal(LearnedPreconditionWorldModel.UnmetProbability, cloudy.SuccessProbability, 6);
        Assert.True(cloudy.Steps[0].PreconditionsHold);
        Assert.Contains("requires (clear-sky), which does not hold (learned from fact-1)", cloudy.Reason, StringComparison.Ordinal);
        Assert.Contains("requires (fuel ?p)", noFuel.Reason, StringComparison.Ordinal);
        Assert.Equal(1.0, fine.SuccessProbability, 6);
        Assert.Null(fine.Reason);
    }

    [Fact]
    public void The_llm_world_model_prompt_carries_the_recalled_memories_bounded_with_their_provenance()
    {
        var memories = Enumerable.Range(1, 12).Select(i => new PlanningMemory($"m{i}", "semantic", new string('x', 1000), $"mission m-{i}")).ToList();
        var step = new PlanStep("fly", [new StepArgument("p", "parcel"), new StepArgument("from", "home"), new StepArgument("to", "city")]);

        var prompt = LlmWorldModel.Prompt(new PluginState([], [L("at", "parcel", "home")]), [L("at", "parcel", "city")], Fly, step, memories);
        var without = LlmWorldModel.Prompt(new PluginState([], []), [], Fly, step, null);

        Assert.Contains("\"id\":\"m8\"", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("\"id\":\"m9\"", prompt, StringComparison.Ordinal);
        Assert.Contains("mission m-1", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', LlmWorldModel.MaxMemoryChars + 1), prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("memories\":[", without, StringComparison.Ordinal);
    }

    private static ContractLiteral L(string predicate, params string[] args) => new(predicate, args);
}
