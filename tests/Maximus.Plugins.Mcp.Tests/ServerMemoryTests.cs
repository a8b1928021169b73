using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Mcp.Tests;

/// <summary>The reference server <c>@modelcontextprotocol/server-memory</c> behind the bridge: a real peer, over stdio.</summary>
public sealed class ServerMemoryTests
{
    private static Dictionary<string, string?> Memory(string graphFile, string? semantics = null)
    {
        var settings = BridgeHost.Stdio("memory", McpPeers.Node(), McpPeers.Script("server-memory"));
        settings["Maximus:Plugins:Mcp:memory:Env:MEMORY_FILE_PATH"] = graphFile;
        if (semantics is not null)
        {
            settings["Maximus:Plugins:Mcp:memory:Semantics"] = semantics;
        }

        return settings;
    }

    [Fact]
    public async Task The_servers_tools_are_the_actions_of_the_plugin_manifest_with_risky_from_their_annotations()
    {
        var graph = Path.Combine(Path.GetTempPath(), $"graph-{Guid.NewGuid():N}.jsonl");
        await using var host = await BridgeHost.StartAsync(Memory(graph));

        var manifest = await host.ManifestAsync("memory");

        Assert.Equal(PluginContract.Version, manifest.ContractVersion);
        Assert.Equal("memory", manifest.Name);
        var actions = manifest.Actions.ToDictionary(a => a.Name);
        Assert.Contains("create_entities", actions.Keys);
        Assert.Contains("read_graph", actions.Keys);
        Assert.Equal(["entities"], actions["create_entities"].Parameters.Select(p => p.Name));
        Assert.Equal(JsonValueKind.Object, actions["create_entities"].InputSchema!.Value.ValueKind);
        Assert.False(actions["create_entities"].Risky);
        Assert.True(actions["delete_entities"].Risky);
    }

    [Fact]
    public async Task A_mission_with_explicit_steps_writes_the_graph_and_its_episode_is_in_memory()
    {
        var graph = Path.Combine(Path.GetTempPath(), $"graph-{Guid.NewGuid():N}.jsonl");
        await using var host = await BridgeHost.StartAsync(Memory(graph));

        var view = await host.RunStepsAsync("memory",
        [
            BridgeHost.Step("create_entities", ("entities", """[{"name":"alice","entityType":"person","observations":["likes tea"]}]""")),
            BridgeHost.Step("add_observations", ("observations", """[{"entityName":"alice","contents":["works at Acme"]}]""")),
            BridgeHost.Step("read_graph"),
        ]);

        var result = view.Result!;
        Assert.True(result.GoalReached, result.Reason ?? view.Failure);
        Assert.Equal("Succeeded", result.Status);
        Assert.Equal(3, result.StepsExecuted);
        Assert.Equal("given", result.Planner);
        Assert.Contains("works at Acme", await File.ReadAllTextAsync(graph, TestContext.Current.CancellationToken));

        var episodes = await host.Invoker.GetAsync<EpisodicMemoryPage>(AppIds.Memory, "v1/memory/tester/episodic?limit=20", TestContext.Current.CancellationToken);
        var episode = Assert.Single(episodes.Items, e => e.Tags?.GetValueOrDefault("missionId") == view.MissionId && e.Tags.GetValueOrDefault("kind") == "mission");
        Assert.Contains("create_entities", episode.Event);
        Assert.Equal("true", episode.Tags!["goalReached"]);
    }

    [Fact]
    public async Task A_given_plan_whose_declared_precondition_does_not_hold_is_rejected_by_simulation_before_any_call()
    {
        var graph = Path.Combine(Path.GetTempPath(), $"graph-{Guid.NewGuid():N}.jsonl");
        var semantics = Path.Combine(Path.GetTempPath(), $"memory-semantics-{Guid.NewGuid():N}.json");
        const string SemanticsJson = """
            {
              "objects": [ { "name": "alice" } ],
              "tools": {
                "read_graph": { "preconditions": [ { "predicate": "graph-ready", "arguments": [] } ] },
                "search_nodes": { "effects": [ { "predicate": "searched", "arguments": [ "?query" ] } ] }
              }
            }
            """;
        await File.WriteAllTextAsync(semantics, SemanticsJson, TestContext.Current.CancellationToken);
        await using var host = await BridgeHost.StartAsync(Memory(graph, semantics));

        var view = await host.RunStepsAsync("memory",
        [
            BridgeHost.Step("create_entities", ("entities", """[{"name":"bob","entityType":"person","observations":[]}]""")),
            BridgeHost.Step("read_graph"),
        ]);

        Assert.Equal("Failed", view.Result!.Status);
        Assert.Contains("rejected by simulation", view.Result.Reason);
        Assert.Contains("(graph-ready)", view.Result.Reason);
        Assert.Equal(0, view.Result.StepsExecuted);
        Assert.False(File.Exists(graph) && (await File.ReadAllTextAsync(graph, TestContext.Current.CancellationToken)).Contains("bob", StringComparison.Ordinal));

        // A declared effect changes the bridge's state, which the contract world model simulates from.
        var search = await host.ActAsync("memory", "search_nodes", new Dictionary<string, string> { ["query"] = "alice" });
        Assert.Equal(ActionOutcome.Succeeded, search.Outcome);
        Assert.Contains(search.State!.Facts, f => f.ToString() == "(searched alice)");
    }

    [Fact]
    public async Task A_request_id_is_applied_at_most_once()
    {
        var graph = Path.Combine(Path.GetTempPath(), $"graph-{Guid.NewGuid():N}.jsonl");
        await using var host = await BridgeHost.StartAsync(Memory(graph));
        var arguments = new Dictionary<string, string> { ["entities"] = """[{"name":"carol","entityType":"person","observations":[]}]""" };

        var first = await host.ActAsync("memory", "create_entities", arguments, "same-id");
        var again = await host.ActAsync("memory", "create_entities", arguments, "same-id");

        Assert.Equal(ActionOutcome.Succeeded, first.Outcome);
        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.Equal(first.Observation, again.Observation);
    }
}
