using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;
using Maximus.Planning.Symbolic;
using Maximus.Plugins.Pddl;
using static Maximus.Planning.Tests.Planning;

namespace Maximus.Planning.Tests;

public sealed class SymbolicPlannerTests
{
    private static readonly SymbolicPlanner Planner = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Plans for the problem, expects exactly one candidate and replays it to the goal.</summary>
    private static CandidatePlan SolveAndReplay(string domain, string problem, string label)
    {
        var environment = Environment(domain, problem);

        var response = Planner.Plan(Request(environment), Ct);

        var plan = Assert.Single(response.Candidates);
        Assert.Null(response.FailureReason);
        PlanBench.Replay(environment, plan.Steps, label);
        Assert.True(environment.GoalReached, $"{label}: goal not reached after replaying the plan");
        return plan;
    }

    [Fact]
    public void Reverses_a_blocksworld_tower_with_a_valid_optimal_length_plan()
    {
        var plan = SolveAndReplay(Domains.Blocksworld, Domains.BlocksworldReverseTower, "tower");

        Assert.Equal(SymbolicPlanner.PlannerName, plan.Planner);
        Assert.Equal(8, plan.Steps.Count);
        Assert.Equal(["x", "y"], plan.Steps.First(s => s.Action == "stack").Arguments.Select(a => a.Name));
    }

    [Fact]
    public void Solves_untyped_logistics_where_types_are_static_predicates()
    {
        var plan = SolveAndReplay(Domains.Logistics, Domains.LogisticsProblem, "logistics");

        Assert.Contains(plan.Steps, s => s.Action == "fly-airplane");
    }

    [Fact]
    public void Solves_typed_logistics_with_a_type_hierarchy_through_the_plugin_contract()
    {
        var plan = SolveAndReplay(Domains.TypedLogistics, Domains.TypedLogisticsProblem, "typed");

        Assert.Contains(plan.Steps, s => s.Action == "fly");
    }

    [Fact]
    public void Achieves_negated_goals_and_respects_negative_preconditions()
    {
        var plan = SolveAndReplay(Domains.Doors, Domains.DoorsProblem, "doors");

        Assert.Equal(
            ["(close back)", "(open front)", "(unlock front brass)"],
            plan.Steps.Select(s => s.ToString()).Order(StringComparer.Ordinal));
        Assert.True(
            plan.Steps.ToList().FindIndex(s => s.Action == "unlock") < plan.Steps.ToList().FindIndex(s => s.Action == "open"),
            "the door is unlocked before it is opened");
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(10, 2)]
    [InlineData(10, 3)]
    [InlineData(15, 1)]
    [InlineData(15, 2)]
    [InlineData(15, 3)]
    public void Solves_generated_blocksworld_problems(int blocks, int seed)
    {
        var plan = SolveAndReplay(Domains.Blocksworld, Domains.RandomBlocksworld(blocks, seed), $"generated-{blocks}-{seed}");

        Assert.NotEmpty(plan.Steps);
    }

    [Fact]
    public void Goal_no_declared_action_can_achieve_fails_before_searching_without_candidates()
    {
        var environment = Environment(Domains.Blocksworld, Domains.BlocksworldReverseTower);
        var request = Request(environment);
        request = request with { Actions = request.Actions.Where(a => a.Name is "pick-up" or "put-down").ToList() };

        var response = Planner.Plan(request, Ct);

        Assert.Empty(response.Candidates);
        Assert.Equal(0, response.NodesExpanded);
        Assert.StartsWith("goal unreachable: ", response.FailureReason, StringComparison.Ordinal);
        Assert.Contains("(on d c)", response.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Goal_false_in_every_reachable_state_is_reported_unreachable_after_exhausting_the_search()
    {
        var environment = Environment(Domains.Blocksworld, """
            (define (problem cycle) (:domain blocks) (:objects a b)
              (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
              (:goal (and (on a b) (on b a))))
            """);

        var response = Planner.Plan(Request(environment), Ct);

        Assert.Empty(response.Candidates);
        Assert.Equal("goal unreachable: every reachable state was explored", response.FailureReason);
    }

    [Fact]
    public void Goal_mentioning_unknown_objects_is_refused()
    {
        var environment = Environment(Domains.Blocksworld, Domains.BlocksworldReverseTower);

        var response = Planner.Plan(Request(environment, goal: [Atom("on", "a", "zebra")]), Ct);

        Assert.Empty(response.Candidates);
        Assert.Equal("goal mentions unknown objects: zebra", response.FailureReason);
    }

    [Fact]
    public void Goal_already_true_gives_an_empty_plan()
    {
        var environment = Environment(Domains.Blocksworld, Domains.BlocksworldReverseTower);

        var response = Planner.Plan(Request(environment, goal: [Atom("on", "a", "b"), Not("holding", "a")]), Ct);

        Assert.Empty(Assert.Single(response.Candidates).Steps);
    }

    [Theory]
    [InlineData(15, 1, 10, 10_000, "node limit reached")]
    [InlineData(40, 7, 200_000, 1, "time limit reached")]
    public void Node_and_time_limits_stop_the_search_and_say_which(int blocks, int seed, int nodeLimit, int timeLimitMs, string reason)
    {
        var environment = Environment(Domains.Blocksworld, Domains.RandomBlocksworld(blocks, seed));

        var response = Planner.Plan(Request(environment, nodeLimit: nodeLimit, timeLimitMs: timeLimitMs), Ct);

        Assert.Empty(response.Candidates);
        Assert.StartsWith(reason, response.FailureReason, StringComparison.Ordinal);
        Assert.True(response.NodesExpanded <= nodeLimit, $"{response.NodesExpanded} nodes expanded");
    }

    [Fact]
    public void Cancellation_stops_planning()
    {
        var environment = Environment(Domains.Blocksworld, Domains.RandomBlocksworld(15, 1));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Planner.Plan(Request(environment), cancelled.Token));
    }

    [Fact]
    public void Several_candidates_are_distinct_valid_plans_shortest_first()
    {
        // Two independent towers to build: either can come first.
        var environment = Environment(Domains.Blocksworld, """
            (define (problem two-pairs) (:domain blocks) (:objects a b c d)
              (:init (handempty) (ontable a) (ontable b) (ontable c) (ontable d) (clear a) (clear b) (clear c) (clear d))
              (:goal (and (on a b) (on c d))))
            """);
        var snapshot = environment.ToSnapshot();

        var response = Planner.Plan(Request(environment, maxCandidates: 3), Ct);

        Assert.InRange(response.Candidates.Count, 2, 3);
        Assert.Equal(response.Candidates.Count, response.Candidates.Select(c => string.Join(' ', c.Steps)).Distinct().Count());
        Assert.Equal(response.Candidates.OrderBy(c => c.Steps.Count).ToList(), response.Candidates);
        for (var i = 0; i < response.Candidates.Count; i++)
        {
            var replay = PddlEnvironment.FromSnapshot(snapshot);
            PlanBench.Replay(replay, response.Candidates[i].Steps, $"candidate{i}");
            Assert.True(replay.GoalReached);
        }
    }

    [Fact]
    public void Redundant_steps_are_removed_from_plans()
    {
        var environment = Environment(Domains.Blocksworld, Domains.BlocksworldReverseTower);
        var state = environment.State();
        var task = Grounder.Ground(environment.Manifest("pddl", "1").Actions, state, TestContext.Current.CancellationToken);
        var goal = task.CreateGoal([Atom("ontable", "a")]);
        GroundAction Find(string text) => task.Actions.Single(a => a.ToString() == text);
        var padded = new[]
        {
            Find("(unstack a b)"), Find("(stack a b)"), Find("(unstack a b)"), Find("(put-down a)"),
            Find("(pick-up a)"), Find("(put-down a)"),
        };
        Assert.True(task.IsSolution(padded, goal));

        var shortened = PlanPostProcessor.EliminateRedundantSteps(task, goal, padded, Ct);

        Assert.Equal(["(unstack a b)", "(put-down a)"], shortened.Select(a => a.ToString()));
    }

    [Fact]
    public void Actions_without_declared_effects_are_named_when_the_goal_is_unreachable()
    {
        var request = new PlanningRequest(
            [new PluginAction("teleport", [new ActionParameter("x")])],
            new PluginState([new PluginObject("robot"), new PluginObject("mars")], []),
            [Atom("at", "robot", "mars")]);

        var response = Planner.Plan(request, Ct);

        Assert.Empty(response.Candidates);
        Assert.Equal(
            "goal unreachable: no sequence of the declared actions can make (at robot mars) true (actions the planner cannot use: teleport: declares no preconditions or effects)",
            response.FailureReason);
    }
}
