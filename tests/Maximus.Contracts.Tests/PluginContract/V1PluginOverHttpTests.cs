using System.Text.Json;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Tests;

/// <summary>
/// The product against the frozen v1 plugin over HTTP: the fixture plugin (Kestrel on 127.0.0.1) behind a fake Dapr
/// sidecar, reached by the product's <c>DaprServiceInvoker</c>. Steps go through the executor service
/// (<c>v1/steps</c> → <c>StepExecutor</c>), the path every mission step takes; the mission runs observe, plan over the
/// declared preconditions and effects, simulate, execute, reflect and remember.
/// </summary>
public sealed class V1PluginOverHttpTests
{
    private const string Context = "route-7";

    [Fact]
    public async Task Manifest_and_state_come_over_http_as_the_files_say()
    {
        await using var plugin = await FixturePluginBehindDapr.StartAsync();

        var manifest = await plugin.Invoker.GetAsync<PluginManifest>(
            FixturePluginBehindDapr.AppId, PluginContract.WithContext(PluginContract.ManifestMethod, Context), TestContext.Current.CancellationToken);
        var state = await plugin.Invoker.GetAsync<PluginState>(
            FixturePluginBehindDapr.AppId, PluginContract.WithContext(PluginContract.StateMethod, Context), TestContext.Current.CancellationToken);

        AssertSameJson(V1Fixture.Parse(V1Fixture.Manifest), manifest);
        AssertSameJson(V1Fixture.Parse(V1Fixture.State), state);
        Assert.Equal(
            [("GET", "/plugin/manifest", "?context=route-7"), ("GET", "/plugin/state", "?context=route-7")],
            plugin.Plugin.Received.Select(r => (r.Method, r.Path, r.Query)));
    }

    [Fact]
    public async Task The_executor_runs_each_step_on_the_plugin_and_returns_its_answer()
    {
        await using var host = await FixtureMissionHost.StartAsync();

        for (var i = 0; i < V1Fixture.GoalPlan.Length; i++)
        {
            var (action, arguments) = V1Fixture.GoalPlan[i];
            var response = await ExecuteAsync(host, action, arguments, $"mission-1/r0/s{i}", i);

            AssertSameJson(V1Fixture.Parse(V1Fixture.ActionAnswer(action)), response.Result);
        }

        Assert.Equal(["load", "drive", "unload"], host.Plugin.Plugin.Applied);
        var received = host.Plugin.Plugin.ActionRequests();
        Assert.Equal(["/plugin/actions/load", "/plugin/actions/drive", "/plugin/actions/unload"], received.Select(r => r.Path));
        Assert.All(received, r => Assert.Equal("POST", r.Method));

        // What the host sends is what a v1 plugin parses (requests/load.json), field by field.
        using var first = JsonDocument.Parse(received[0].Body);
        V1FixtureWireTests.AssertCarriesV1Request(V1Fixture.Parse(V1Fixture.Request("load")), first.RootElement);
        for (var i = 0; i < received.Length; i++)
        {
            using var body = JsonDocument.Parse(received[i].Body);
            Assert.Equal($"mission-1/r0/s{i}", body.RootElement.GetProperty("requestId").GetString());
            Assert.Equal(
                V1Fixture.GoalPlan[i].Arguments,
                body.RootElement.GetProperty("arguments").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
        }

        // GET plugin/state now serves the last answer's state.
        var state = await host.Plugin.Invoker.GetAsync<PluginState>(FixturePluginBehindDapr.AppId, PluginContract.StateMethod, TestContext.Current.CancellationToken);
        Assert.True(state.GoalReached);
        Assert.Equal(3, state.Version);
    }

    [Fact]
    public async Task Rejected_and_failed_answers_reach_the_caller_without_a_state()
    {
        await using var host = await FixtureMissionHost.StartAsync();

        var scrap = await ExecuteAsync(host, "scrap", new() { ["parcel"] = "p1" }, "mission-1/r0/s0", 0);
        var bell = await ExecuteAsync(host, "ring-bell", [], "mission-1/r0/s1", 1);

        Assert.Equal(ActionOutcome.Rejected, scrap.Result.Outcome);
        Assert.Equal("scrap is disabled on this courier", scrap.Result.Error);
        Assert.Null(scrap.Result.State);
        Assert.Equal(ActionOutcome.Failed, bell.Result.Outcome);
        Assert.Equal("nobody answered the bell", bell.Result.Observation);
        Assert.Null(bell.Result.State);
        Assert.Empty(host.Plugin.Plugin.Applied);
    }

    [Fact]
    public async Task A_mission_plans_over_the_declared_semantics_and_reaches_the_goal_on_the_v1_plugin()
    {
        await using var host = await FixtureMissionHost.StartAsync();

        var view = await host.RunMissionAsync(Context);

        Assert.Equal("Succeeded", view.Status);
        var result = Assert.IsType<MissionResult>(view.Result);
        Assert.True(result.GoalReached, result.Reason);
        Assert.Equal(["(load p1 depot)", "(drive depot house)", "(unload p1 house)"], result.Plan);
        Assert.Equal(0, result.Replans);
        Assert.Equal(["load", "drive", "unload"], host.Plugin.Plugin.Applied);

        // Observed first with the mission's context; the risky and the undeclared actions were never called.
        var received = host.Plugin.Plugin.Received.ToArray();
        Assert.Equal(("GET", "/plugin/manifest", "?context=route-7"), (received[0].Method, received[0].Path, received[0].Query));
        Assert.Equal(("GET", "/plugin/state", "?context=route-7"), (received[1].Method, received[1].Path, received[1].Query));
        Assert.DoesNotContain(received, r => r.Path is "/plugin/actions/scrap" or "/plugin/actions/ring-bell");
        foreach (var request in host.Plugin.Plugin.ActionRequests())
        {
            using var body = JsonDocument.Parse(request.Body);
            Assert.Equal(Context, body.RootElement.GetProperty("context").GetString());
            Assert.Equal(result.MissionId, body.RootElement.GetProperty("missionId").GetString());
        }
    }

    private static Task<ExecuteStepResponse> ExecuteAsync(
        FixtureMissionHost host, string action, Dictionary<string, string> arguments, string requestId, int index) =>
        host.Invoker.InvokeAsync<ExecuteStepRequest, ExecuteStepResponse>(
            AppIds.Executor,
            "v1/steps",
            new ExecuteStepRequest(
                FixturePluginBehindDapr.AppId,
                Context,
                new PlanStep(action, arguments.Select(kv => new StepArgument(kv.Key, kv.Value)).ToList()),
                requestId,
                "mission-1",
                "v1-fixture",
                index),
            TestContext.Current.CancellationToken);

    /// <summary>
    /// The value the product read, written back with the product's settings, carries every property of the file with
    /// the same value (properties left out in the file may come back with their defaults).
    /// </summary>
    private static void AssertSameJson<T>(JsonElement file, T read)
    {
        using var written = JsonDocument.Parse(JsonSerializer.Serialize(read, Maximus.ServiceDefaults.MaximusJson.Options));
        AssertContains(file, written.RootElement, "$");
    }

    private static void AssertContains(JsonElement expected, JsonElement actual, string path)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject())
                {
                    Assert.True(actual.TryGetProperty(property.Name, out var value), $"{path}.{property.Name} is missing");
                    AssertContains(property.Value, value, $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
                for (var i = 0; i < expected.GetArrayLength(); i++)
                {
                    AssertContains(expected[i], actual[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(JsonElement.DeepEquals(expected, actual), $"{path} is {actual}, the file says {expected}");
                break;
        }
    }
}
