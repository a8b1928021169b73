using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;
using static Maximus.Planning.Tests.Planning;

namespace Maximus.Planning.Tests;

public sealed class StripsStateTests
{
    [Fact]
    public void State_holds_literals_applies_deletes_before_adds_and_checks_negated_goals()
    {
        PluginAction[] actions =
        [
            new("toggle", [new ActionParameter("x")],
                Preconditions: [Atom("on", "?x")],
                Effects: [Not("on", "?x"), Atom("off", "?x"), Not("fresh", "?x"), Atom("fresh", "?x")]),
        ];
        var task = Grounder.Ground(actions, new PluginState([new PluginObject("lamp")], [Atom("on", "lamp"), Atom("fresh", "lamp")]), TestContext.Current.CancellationToken);
        var toggle = Assert.Single(task.Actions);
        var goal = task.CreateGoal([Atom("off", "lamp"), Not("on", "lamp")]);

        var start = task.InitialState;
        Assert.True(start.Holds(Atom("on", "lamp")));
        Assert.True(start.Holds(Not("off", "lamp")));
        Assert.True(start.Holds(new ContractLiteral("=", ["lamp", "lamp"])));
        Assert.False(start.Satisfies(goal));
        Assert.True(start.IsApplicable(toggle));

        var next = start.Apply(toggle);

        Assert.True(next.Satisfies(goal));
        Assert.True(next.Holds(Atom("fresh", "lamp")), "a fact both deleted and added stays true");
        Assert.False(next.IsApplicable(toggle));
        Assert.Equal(["(fresh lamp)", "(off lamp)"], next.TrueFacts().Select(f => f.ToString()).Order(StringComparer.Ordinal));
        Assert.True(start.Holds(Atom("on", "lamp")), "states are immutable");
        Assert.True(task.IsSolution([toggle], goal));
        Assert.False(task.IsSolution([toggle, toggle], goal));
    }

    [Fact]
    public void Goal_with_a_literal_and_its_negation_is_unsatisfiable()
    {
        var task = Grounder.Ground([], new PluginState([new PluginObject("a")], []), TestContext.Current.CancellationToken);

        var goal = task.CreateGoal([Atom("p", "a"), Not("p", "a"), new ContractLiteral("=", ["a", "b"])]);

        Assert.Equal(["(= a b)", "(not (p a))"], goal.Unsatisfiable.Select(l => l.ToString()).Order(StringComparer.Ordinal));
    }
}
