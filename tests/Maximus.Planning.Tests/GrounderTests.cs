using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;
using static Maximus.Planning.Tests.Planning;

namespace Maximus.Planning.Tests;

public sealed class GrounderTests
{
    [Fact]
    public void Parameters_accept_objects_of_their_exact_type_and_object_accepts_everything()
    {
        PluginAction[] actions =
        [
            new("paint", [new ActionParameter("b", "block"), new ActionParameter("c", "colour")], Effects: [Atom("painted", "?b", "?c")]),
            new("touch", [new ActionParameter("x")], Effects: [Atom("touched", "?x")]),
        ];
        var state = new PluginState(
            [new PluginObject("b1", "block"), new PluginObject("b2", "block"), new PluginObject("red", "colour"), new PluginObject("table")],
            []);

        var task = Grounder.Ground(actions, state, TestContext.Current.CancellationToken);

        Assert.Equal(["(paint b1 red)", "(paint b2 red)"], task.Actions.Where(a => a.Name == "paint").Select(a => a.ToString()));
        Assert.Equal(4, task.Actions.Count(a => a.Name == "touch"));
    }

    [Fact]
    public void Static_predicates_bind_parameters_so_only_consistent_tuples_are_grounded()
    {
        var environment = Environment(Domains.Logistics, Domains.LogisticsProblem);
        var state = environment.State();

        var task = Grounder.Ground(environment.Manifest("pddl", "1").Actions, state, TestContext.Current.CancellationToken);

        Assert.Contains("in-city", task.StaticPredicates);
        Assert.Contains("truck", task.StaticPredicates);
        Assert.DoesNotContain("at", task.StaticPredicates);

        // Each truck drives between the two locations of its own city (from = to included): 2 × 4.
        var drives = task.Actions.Where(a => a.Name == "drive-truck").ToList();
        Assert.Equal(8, drives.Count);
        Assert.All(drives, d =>
        {
            var city = d.Arguments[3].Value;
            Assert.Contains(state.Facts, f => f.ToString() == $"(in-city {d.Arguments[1].Value} {city})");
            Assert.Contains(state.Facts, f => f.ToString() == $"(in-city {d.Arguments[2].Value} {city})");
        });

        // Static preconditions were checked while grounding and are not repeated on the ground action.
        Assert.All(task.Actions, a => Assert.DoesNotContain(a.Preconditions, f => task.StaticPredicates.Contains(task.Facts[f].Predicate)));
    }

    [Fact]
    public void Equality_and_static_negative_preconditions_are_decided_while_grounding()
    {
        var environment = Environment(Domains.TypedLogistics, Domains.TypedLogisticsProblem);

        var task = Grounder.Ground(environment.Manifest("pddl", "1").Actions, environment.State(), TestContext.Current.CancellationToken);

        var flights = task.Actions.Where(a => a.Name == "fly").ToList();
        Assert.Equal(["(fly p1 ap1 ap2)", "(fly p1 ap2 ap1)"], flights.Select(f => f.ToString()).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(task.Actions, a => a.Name == "drive" && a.Arguments[1].Value == a.Arguments[2].Value);
    }

    [Fact]
    public void Negative_fluent_preconditions_stay_on_the_ground_action()
    {
        var environment = Environment(Domains.Doors, Domains.DoorsProblem);

        var task = Grounder.Ground(environment.Manifest("pddl", "1").Actions, environment.State(), TestContext.Current.CancellationToken);

        var open = Assert.Single(task.Actions, a => a.ToString() == "(open front)");
        Assert.Equal(["(locked front)", "(open front)"], open.NegativePreconditions.Select(f => task.Facts[f].ToString()).Order(StringComparer.Ordinal));
        Assert.Empty(open.Preconditions);
    }

    [Fact]
    public void Actions_without_declared_effects_are_ignored_with_a_reason()
    {
        PluginAction[] actions =
        [
            new("send-mail", [new ActionParameter("to", "string")]),
            new("look", [], Preconditions: [Atom("light")]),
            new("broken", [new ActionParameter("x")], Effects: [Atom("done", "?y")]),
        ];

        var task = Grounder.Ground(actions, new PluginState([], [Atom("light")]), TestContext.Current.CancellationToken);

        Assert.Empty(task.Actions);
        Assert.Equal(
            ["send-mail: declares no preconditions or effects", "look: declares no effects", "broken: (done ?y) refers to unknown parameter '?y'"],
            task.IgnoredActions);
    }

    [Fact]
    public void Ground_actions_unreachable_from_the_initial_state_are_pruned()
    {
        PluginAction[] actions =
        [
            new("step", [new ActionParameter("from"), new ActionParameter("to")],
                Preconditions: [Atom("at", "?from"), Atom("edge", "?from", "?to")],
                Effects: [Not("at", "?from"), Atom("at", "?to")]),
        ];
        var state = new PluginState(
            [new PluginObject("a"), new PluginObject("b"), new PluginObject("c"), new PluginObject("island")],
            [Atom("at", "a"), Atom("edge", "a", "b"), Atom("edge", "b", "c"), Atom("edge", "island", "a")]);

        var task = Grounder.Ground(actions, state, TestContext.Current.CancellationToken);

        Assert.Equal(["(step a b)", "(step b c)"], task.Actions.Select(a => a.ToString()));
    }
}
