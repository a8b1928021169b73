using System.Text.Json;
using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Pddl.Tests;

public sealed class PddlEnvironmentTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static PddlEnvironment Blocks() => PddlEnvironment.Create(Pddl.Blocksworld, Pddl.BlocksworldProblem);

    private static PddlEnvironment Depot() => PddlEnvironment.Create(Pddl.Depot, Pddl.DepotProblem);

    private static ActionRequest Request(string id, params (string Name, string Value)[] arguments) =>
        new(id, arguments.ToDictionary(a => a.Name, a => a.Value));

    private static List<string> Facts(PluginState state) => state.Facts.Select(f => f.ToString()).ToList();

    [Fact]
    public void Manifest_has_one_action_per_pddl_action_with_semantics_and_an_input_schema()
    {
        var manifest = Depot().Manifest("pddl-env", "1.0.0");

        Assert.Equal(("pddl-env", "1.0.0", "1"), (manifest.Name, manifest.Version, manifest.ContractVersion));
        Assert.Equal(["drive", "lift", "refuel"], manifest.Actions.Select(a => a.Name));
        var drive = manifest.Actions[0];
        Assert.Equal([new ActionParameter("t", "truck"), new ActionParameter("from", "place"), new ActionParameter("to", "place")], drive.Parameters);
        Assert.Equal(["(at ?t ?from)", "(not (broken ?t))", "(not (= ?from ?to))"], drive.Preconditions!.Select(p => p.ToString()));
        Assert.Equal(["(not (at ?t ?from))", "(at ?t ?to)"], drive.Effects!.Select(e => e.ToString()));
        Assert.Equal(["(at ?t central)"], manifest.Actions[2].Preconditions!.Select(p => p.ToString()));

        var schema = drive.InputSchema!.Value;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["t", "from", "to"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("from").GetProperty("type").GetString());
        Assert.False(schema.GetProperty("additionalProperties").GetBoolean());

        var json = JsonSerializer.Serialize(manifest, Web);
        Assert.Contains("\"inputSchema\":{\"type\":\"object\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void State_lists_objects_with_types_facts_goal_and_version()
    {
        var state = Depot().State();

        Assert.Equal(new PluginObject("central", "depot"), state.Objects[0]);
        Assert.Contains(new PluginObject("c1", "crate"), state.Objects);
        Assert.Contains("(at t1 central)", Facts(state));
        Assert.Equal(["(at t1 north)", "(lifting h1 c1)", "(not (broken t2))"], state.Goal!.Select(g => g.ToString()));
        Assert.False(state.GoalReached);
        Assert.Equal(0, state.Version);

        // The contract has no type hierarchy: objects are listed again with the supertypes parameters use.
        Assert.Contains(new PluginObject("central", "place"), state.Objects);
        Assert.Contains(new PluginObject("c1", "surface"), state.Objects);
        Assert.Equal(["c1", "central", "h1", "north", "p1", "t1", "t2"], state.Objects.Select(o => o.Name).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(
            ["central:depot", "north:distributor", "t1:truck", "t2:truck", "h1:hoist", "p1:pallet", "c1:crate"],
            state.Objects.Take(7).Select(o => $"{o.Name}:{o.Type}"));
    }

    [Fact]
    public void Successful_action_deletes_then_adds_and_bumps_the_version()
    {
        var environment = Blocks();

        var result = environment.Apply(Request("r1", ("x", "C"), ("y", "a")), "UNSTACK");

        Assert.Equal(ActionOutcome.Succeeded, result.Outcome);
        Assert.Null(result.Error);
        Assert.False(result.Replayed);
        Assert.StartsWith("(unstack c a) applied; now true: ", result.Observation, StringComparison.Ordinal);
        var facts = Facts(result.State!);
        Assert.Contains("(holding c)", facts);
        Assert.Contains("(clear a)", facts);
        Assert.DoesNotContain("(on c a)", facts);
        Assert.DoesNotContain("(handempty)", facts);
        Assert.Equal(1, result.State!.Version);
        Assert.Equal(["r1"], environment.AppliedRequestIds);
    }

    [Fact]
    public void Failed_precondition_leaves_the_state_unchanged_and_lists_the_false_preconditions()
    {
        var environment = Blocks();
        var before = environment.State();

        var result = environment.Apply(Request("r1", ("x", "a"), ("y", "b")), "stack");

        Assert.Equal(ActionOutcome.Failed, result.Outcome);
        Assert.Equal("preconditions not satisfied: (holding a)", result.Error);
        Assert.Equal(Facts(before), Facts(environment.State()));
        Assert.Equal(0, environment.Version);
    }

    [Fact]
    public void Negative_preconditions_and_equality_are_checked()
    {
        var environment = Depot();

        var broken = environment.Apply(Request("r1", ("t", "t2"), ("from", "central"), ("to", "north")), "drive");
        var same = environment.Apply(Request("r2", ("t", "t1"), ("from", "central"), ("to", "central")), "drive");

        Assert.Equal(ActionOutcome.Failed, broken.Outcome);
        Assert.Equal("preconditions not satisfied: (not (broken t2))", broken.Error);
        Assert.Equal(ActionOutcome.Failed, same.Outcome);
        Assert.Equal("preconditions not satisfied: (not (= central central))", same.Error);
    }

    [Fact]
    public void Typed_problem_is_solved_by_applying_its_plan()
    {
        var environment = Depot();

        var results = new[]
        {
            environment.Apply(Request("1", ("t", "t2")), "refuel"),
            environment.Apply(Request("2", ("t", "t1"), ("from", "central"), ("to", "north")), "drive"),
            environment.Apply(Request("3", ("h", "h1"), ("c", "c1"), ("s", "p1"), ("p", "north")), "lift"),
        };

        Assert.All(results, r => Assert.Equal(ActionOutcome.Succeeded, r.Outcome));
        Assert.True(environment.GoalReached);
        Assert.True(results[^1].State!.GoalReached);
        Assert.Equal(3, environment.Version);
    }

    [Fact]
    public void Same_request_id_is_applied_once_and_replayed_afterwards()
    {
        var environment = Blocks();
        var request = Request("once", ("x", "c"), ("y", "a"));

        var first = environment.Apply(request, "unstack");
        var again = environment.Apply(request, "unstack");

        Assert.Equal(ActionOutcome.Succeeded, first.Outcome);
        Assert.Equal(ActionOutcome.Succeeded, again.Outcome);
        Assert.True(again.Replayed);
        Assert.Equal(first.Observation, again.Observation);
        Assert.Equal(1, environment.Version);
        Assert.Equal(["once"], environment.AppliedRequestIds);
        Assert.Contains("(holding c)", Facts(again.State!));
    }

    [Fact]
    public void Failed_request_is_replayed_as_failed_even_after_the_world_changed()
    {
        var environment = Blocks();
        var request = Request("early", ("x", "c"), ("y", "b"));
        var failed = environment.Apply(request, "stack");
        environment.Apply(Request("pick", ("x", "c"), ("y", "a")), "unstack");

        var replay = environment.Apply(request, "stack");

        Assert.Equal(ActionOutcome.Failed, failed.Outcome);
        Assert.Equal(ActionOutcome.Failed, replay.Outcome);
        Assert.True(replay.Replayed);
        Assert.Equal(["early", "pick"], environment.AppliedRequestIds);
    }

    [Fact]
    public void Request_id_reused_for_another_action_is_rejected()
    {
        var environment = Blocks();
        environment.Apply(Request("r1", ("x", "c"), ("y", "a")), "unstack");

        var result = environment.Apply(Request("r1", ("x", "c")), "put-down");

        Assert.Equal(ActionOutcome.Rejected, result.Outcome);
        Assert.Equal("request id 'r1' was already used for (unstack c a)", result.Error);
    }

    [Theory]
    [InlineData("fly", "x=a", "unknown action 'fly' (actions: pick-up, put-down, stack, unstack)")]
    [InlineData("stack", "x=a", "missing argument 'y' for action 'stack'")]
    [InlineData("stack", "x=a;y=b;z=c", "unknown argument(s) 'z' for action 'stack' (parameters: x, y)")]
    [InlineData("stack", "x=a;y=zebra", "unknown object 'zebra' for argument 'y' of action 'stack'")]
    public void Bad_requests_are_rejected_without_being_recorded(string action, string arguments, string error)
    {
        var environment = Blocks();
        var pairs = arguments.Split(';').Select(p => p.Split('=')).Select(p => (p[0], p[1])).ToArray();

        var result = environment.Apply(Request("bad", pairs), action);

        Assert.Equal(ActionOutcome.Rejected, result.Outcome);
        Assert.Equal(error, result.Error);
        Assert.Empty(environment.AppliedRequestIds);
    }

    [Fact]
    public void Argument_of_the_wrong_type_is_rejected()
    {
        var result = Depot().Apply(Request("r1", ("t", "h1")), "refuel");

        Assert.Equal(ActionOutcome.Rejected, result.Outcome);
        Assert.Equal("object 'h1' has type 'hoist' but argument 't' of action 'refuel' needs type 'truck'", result.Error);
    }

    [Fact]
    public void External_change_updates_the_facts_and_the_version()
    {
        var environment = Blocks();

        environment.ExternalChange([new ContractLiteral("on", ["a", "b"])], [new ContractLiteral("ontable", ["a"]), new ContractLiteral("clear", ["b"])]);

        var state = environment.State();
        Assert.Contains("(on a b)", Facts(state));
        Assert.DoesNotContain("(ontable a)", Facts(state));
        Assert.DoesNotContain("(clear b)", Facts(state));
        Assert.Equal(1, state.Version);
        var stale = environment.Apply(Request("r1", ("x", "b")), "pick-up");
        Assert.Equal("preconditions not satisfied: (clear b)", stale.Error);
    }

    [Fact]
    public void External_change_with_unknown_predicates_or_objects_is_refused()
    {
        var environment = Blocks();

        Assert.Throws<ArgumentException>(() => environment.ExternalChange([new ContractLiteral("flying", ["a"])], []));
        Assert.Throws<ArgumentException>(() => environment.ExternalChange([new ContractLiteral("clear", ["zebra"])], []));
        Assert.Throws<ArgumentException>(() => environment.ExternalChange([], [new ContractLiteral("on", ["a"])]));
        Assert.Equal(0, environment.Version);
    }

    [Fact]
    public void Snapshot_round_trips_through_json_and_keeps_replaying_requests()
    {
        var environment = Depot();
        environment.Apply(Request("1", ("t", "t2")), "refuel");
        environment.Apply(Request("2", ("t", "t1"), ("from", "north"), ("to", "central")), "drive");
        environment.ExternalChange([new ContractLiteral("broken", ["t1"])], []);

        var json = JsonSerializer.Serialize(environment.ToSnapshot(), Web);
        var snapshot = JsonSerializer.Deserialize<PddlEnvironmentSnapshot>(json, Web)!;
        var restored = PddlEnvironment.FromSnapshot(snapshot);

        Assert.Equal(JsonSerializer.Serialize(environment.State(), Web), JsonSerializer.Serialize(restored.State(), Web));
        Assert.Equal(["1", "2"], restored.AppliedRequestIds);
        Assert.Equal(2, restored.Version);
        Assert.Equal(Pddl.Depot, snapshot.DomainText);
        var replay = restored.Apply(Request("2", ("t", "t1"), ("from", "north"), ("to", "central")), "drive");
        Assert.True(replay.Replayed);
        Assert.Equal(ActionOutcome.Failed, replay.Outcome);
        Assert.Equal(2, restored.Version);
        Assert.Contains("\"outcome\":\"Failed\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_built_from_models_snapshots_written_pddl()
    {
        var domain = PddlParser.ParseDomain(Pddl.Blocksworld) with { SourceText = null };
        var problem = PddlParser.ParseProblem(Pddl.BlocksworldProblem, domain) with { SourceText = null };
        var environment = new PddlEnvironment(domain, problem);
        environment.Apply(Request("r1", ("x", "c"), ("y", "a")), "unstack");

        var restored = PddlEnvironment.FromSnapshot(environment.ToSnapshot());

        Assert.Equal(Facts(environment.State()), Facts(restored.State()));
        Assert.Equal(["(on a b)", "(on b c)"], restored.Goal.Select(g => g.ToString()));
    }
}
