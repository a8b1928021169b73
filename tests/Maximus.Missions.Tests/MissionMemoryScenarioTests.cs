using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Missions.Learning;
using Maximus.Missions.Workflows;
using Maximus.Tests;

namespace Maximus.Missions.Tests;

/// <summary>The cognition loop end to end on the embedded runtime: what a mission writes, and what the next one recalls and uses.</summary>
public sealed class MissionMemoryScenarioTests
{
    private const string Agent = "tester";

    private const string TowerPattern = "(on ?x1 ?x2) (on ?x2 ?x3)";

    /// <summary>Flying is one step but needs a clear sky, which the plugin does not declare; driving takes two.</summary>
    private const string Courier = """
        (define (domain courier)
          (:requirements :strips)
          (:predicates (at ?p ?l) (road ?a ?b) (airport ?l) (clear-sky))
          (:action fly :parameters (?p ?from ?to)
            :precondition (and (at ?p ?from) (airport ?from) (airport ?to) (clear-sky))
            :effect (and (at ?p ?to) (not (at ?p ?from))))
          (:action drive :parameters (?p ?from ?to)
            :precondition (and (at ?p ?from) (road ?from ?to))
            :effect (and (at ?p ?to) (not (at ?p ?from)))))
        """;

    private static string Tower(string x, string y, string z, string init) => $"""
        (define (problem tower)
          (:domain blocks)
          (:objects {x} {y} {z})
          (:init (handempty) {init})
          (:goal (and (on {x} {y}) (on {y} {z}))))
        """;

    private static string OnTable(string x, string y, string z) =>
        $"(ontable {x}) (ontable {y}) (ontable {z}) (clear {x}) (clear {y}) (clear {z})";

    private static string Delivery(bool clearSky, string more = "") => $"""
        (define (problem deliver)
          (:domain courier)
          (:objects parcel home hub city)
          (:init (at parcel home) (airport home) (airport city) (road home hub) (road hub city) {(clearSky ? "(clear-sky)" : "")} {more})
          (:goal (at parcel city)))
        """;

    [Fact]
    public async Task A_mission_writes_its_episode_procedure_and_facts_with_their_provenance()
    {
        var plugin = new TestPlugin("loop-env");
        await using var host = await MissionHost.StartAsync(plugin);

        var result = await host.RunAsync(plugin.Add(TestPddl.Blocksworld, Tower("a", "b", "c", OnTable("a", "b", "c"))));
        Assert.Equal("Succeeded", result.Status);

        var procedure = Assert.Single(await SearchAsync(host, TowerPattern, MemoryType.Procedural, "procedure"));
        Assert.Equal(ProcedureTemplate.IdFor(plugin.AppId, TowerPattern), procedure.Id);
        Assert.Equal(TowerPattern, procedure.Procedure!.GoalPattern);
        Assert.Equal((1, 0), (procedure.Procedure.Successes, procedure.Procedure.Failures));
        Assert.Equal(result.Plan.Count, procedure.Procedure.Steps.Count);
        Assert.All(procedure.Procedure.Steps, s => Assert.DoesNotMatch(@"\b[abc]\b", s));
        AssertProvenance(procedure, result.MissionId, "execute", $"{result.MissionId}/execute");

        var episode = Assert.Single(await SearchAsync(host, "tower", MemoryType.Episodic, "mission"));
        Assert.Equal($"mission-{result.MissionId}", episode.Id);
        Assert.Contains(string.Join(' ', result.Plan), episode.Text, StringComparison.Ordinal);
        Assert.Equal("Succeeded", episode.Outcome);
        AssertProvenance(episode, result.MissionId, "remember", $"{result.MissionId}/remember");

        var facts = await SearchAsync(host, "a b c", MemoryType.Semantic, "state");
        Assert.Contains(facts, f => f.Fact is { Subject: "a", Predicate: "on", Object: "b" });
        Assert.All(facts, f => AssertProvenance(f, result.MissionId, "observe", $"{result.MissionId}/r0/s{result.Plan.Count - 1}"));

        // The episode line that `maximus memory list` shows is still written.
        var page = await host.Invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, $"v1/memory/{Agent}/episodic?limit=5", TestContext.Current.CancellationToken);
        Assert.Contains(page.Items, e => e.Id == $"mission-{result.MissionId}");
    }

    [Fact]
    public async Task A_second_mission_recalls_the_procedure_of_the_first_executes_it_and_counts_the_use()
    {
        var plugin = new TestPlugin("reuse-env");
        await using var host = await MissionHost.StartAsync(plugin);
        var first = await host.RunAsync(plugin.Add(TestPddl.Blocksworld, Tower("a", "b", "c", OnTable("a", "b", "c"))));

        // Other objects, the same goal pattern: the procedure is instantiated for x, y, z.
        var second = await host.RunAsync(plugin.Add(TestPddl.Blocksworld, Tower("x", "y", "z", OnTable("x", "y", "z"))));

        Assert.Equal("Succeeded", second.Status);
        Assert.Equal(MissionWorkflow.MemoryPlanner, second.Planner);
        var round = Assert.Single(second.Rounds!);
        Assert.Equal((MissionWorkflow.MemoryPlanner, "chosen"), (Assert.Single(round.Planners), round.Outcome));
        var renamed = new Dictionary<string, string> { ["a"] = "x", ["b"] = "y", ["c"] = "z" };
        Assert.Equal(first.Plan.Select(s => "(" + string.Join(' ', s.Trim('(', ')').Split(' ').Select(t => renamed.GetValueOrDefault(t, t))) + ")"), second.Plan);
        var id = ProcedureTemplate.IdFor(plugin.AppId, TowerPattern);
        var recalled = Assert.Single(second.Recalled!, r => r.Id == id);
        Assert.Equal("procedural", recalled.Type);
        Assert.Contains("executed as the plan", recalled.Why, StringComparison.Ordinal);
        Assert.Contains(second.Recalled!, r => r.Id == $"mission-{first.MissionId}" && r.Type == "episodic");

        var procedure = Assert.Single(await SearchAsync(host, TowerPattern, MemoryType.Procedural, "procedure"));
        Assert.Equal((2, 0), (procedure.Procedure!.Successes, procedure.Procedure.Failures));
    }

    [Fact]
    public async Task A_recalled_procedure_that_no_longer_fits_is_not_executed_and_the_mission_plans_instead()
    {
        var plugin = new TestPlugin("stale-env");
        await using var host = await MissionHost.StartAsync(plugin);
        await host.RunAsync(plugin.Add(TestPddl.Blocksworld, Tower("a", "b", "c", OnTable("a", "b", "c"))));
        var stored = Assert.Single(await SearchAsync(host, TowerPattern, MemoryType.Procedural, "procedure"));

        // b already stands on c: the procedure's first step (pick b up from the table) cannot run.
        var result = await host.RunAsync(plugin.Add(TestPddl.Blocksworld, Tower("a", "b", "c", "(on b c) (ontable a) (ontable c) (clear a) (clear b)")));

        Assert.Equal("Succeeded", result.Status);
        Assert.Empty(plugin.Refused);
        Assert.Equal(["(pick-up a)", "(stack a b)"], result.Plan);
        Assert.Equal("symbolic", result.Planner);
        Assert.Equal(("rejected", 0), (result.Rounds![0].Outcome, result.Replans));
        Assert.Contains("does not fit", result.Rounds[0].Reason, StringComparison.Ordinal);
        Assert.Contains("did not fit the current state, not executed", Assert.Single(result.Recalled!, r => r.Id == stored.Id).Why, StringComparison.Ordinal);

        // Unused, the stored procedure keeps its steps and record.
        var after = Assert.Single(await SearchAsync(host, TowerPattern, MemoryType.Procedural, "procedure"));
        Assert.Equal(stored.Procedure!.Steps, after.Procedure!.Steps);
        Assert.Equal((1, 0), (after.Procedure.Successes, after.Procedure.Failures));
    }

    [Fact]
    public async Task A_precondition_the_plugin_hides_is_learned_as_a_fact_and_used_after_a_restart()
    {
        var plugin = new TestPlugin("courier-env");
        var hidden = Courier.Replace("(airport ?to) (clear-sky))", "(airport ?to))", StringComparison.Ordinal);
        string dataDir;
        MissionResult first;
        await using (var host = await MissionHost.StartAsync(plugin))
        {
            dataDir = host.DataDir;
            first = await host.RunAsync(plugin.Add(Courier, Delivery(clearSky: false), hidden), maxReplans: 2);
            Assert.True(first.Status == "Succeeded", first.Reason);
            Assert.Equal(["fly"], plugin.Refused);

            var fact = Assert.Single(await SearchAsync(host, "fly", MemoryType.Semantic, "precondition"));
            Assert.Equal(("fly", LearnedFacts.RequiresPrecondition, "(clear-sky)"), (fact.Fact!.Subject, fact.Fact.Predicate, fact.Fact.Object));
            AssertProvenance(fact, first.MissionId, "execute", $"{first.MissionId}/r0/s0");
        }

        // After a restart, only memory knows about the sky: the road back from the city makes this state one the empirical
        // model has never scored flying in, and the mission's procedure (driving) is forgotten so it cannot answer instead.
        await using var restarted = await MissionHost.StartAsync(plugin, dataDir);
        await restarted.Invoker.DeleteAsync<JsonElement>(
            AppIds.Memory, $"v1/memory/{Agent}/entries/{ProcedureTemplate.IdFor(plugin.AppId, "(at ?x1 ?x2)")}", TestContext.Current.CancellationToken);
        var cloudy = await restarted.RunAsync(plugin.Add(Courier, Delivery(clearSky: false, "(road city home)"), hidden), maxReplans: 2);

        Assert.True(cloudy.Status == "Succeeded", cloudy.Reason);
        Assert.Equal(["fly"], plugin.Refused);
        Assert.Equal(["(drive parcel home hub)", "(drive parcel hub city)"], cloudy.Plan);
        Assert.Contains(cloudy.Recalled!, r => r.Type == "semantic" && r.Why.Contains("precondition learned for fly: (clear-sky)", StringComparison.Ordinal));
        Assert.DoesNotContain(cloudy.Recalled!, r => r.Type == "procedural");
    }

    private static void AssertProvenance(MemoryEntry entry, string missionId, string phase, string step)
    {
        Assert.Equal(missionId, entry.Tags![LearnedFacts.MissionTag]);
        Assert.Equal(phase, entry.Tags[LearnedFacts.PhaseTag]);
        Assert.Equal(step, entry.Tags[LearnedFacts.StepTag]);
    }

    private static async Task<IReadOnlyList<MemoryEntry>> SearchAsync(MissionHost host, string query, MemoryType type, string kind)
    {
        var result = await host.Invoker.InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(
            AppIds.Memory, $"v1/memory/{Agent}/search",
            new SearchMemoryRequest(query, [type], 20, new Dictionary<string, string> { [LearnedFacts.PluginTag] = host.Plugin.AppId, [LearnedFacts.KindTag] = kind }),
            TestContext.Current.CancellationToken);
        return result.Hits.Select(h => h.Entry).ToList();
    }
}
