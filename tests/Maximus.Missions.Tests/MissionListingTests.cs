using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Ports;
using Maximus.Tests;

namespace Maximus.Missions.Tests;

/// <summary>The mission list under load: no shared key that every start rewrites, every mission once, newest first.</summary>
public sealed class MissionListingTests
{
    private const int Missions = 200;

    private const string Pair = """
        (define (problem pair)
          (:domain blocks)
          (:objects a b)
          (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
          (:goal (on a b)))
        """;

    [Fact]
    public async Task Two_hundred_concurrent_mission_starts_all_succeed_and_each_is_listed_exactly_once_newest_first()
    {
        var plugin = new TestPlugin("listing-env");
        await using var host = await MissionHost.StartAsync(plugin);
        var contexts = Enumerable.Range(0, Missions).Select(_ => plugin.Add(TestPddl.Blocksworld, Pair)).ToList();

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = contexts.Select(c => Task.Run(async () =>
        {
            await gate.Task;
            return await host.Invoker.InvokeAsync<MissionRequest, MissionAccepted>(
                AppIds.Orchestrator, "v1/missions", new MissionRequest(plugin.AppId, c, "tester"), TestContext.Current.CancellationToken);
        })).ToList();
        gate.SetResult();
        var accepted = await Task.WhenAll(starts);
        var listed = await host.Invoker.GetAsync<List<MissionView>>(AppIds.Orchestrator, "v1/missions?limit=1000", TestContext.Current.CancellationToken);

        Assert.Equal(Missions, accepted.Select(a => a.MissionId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(accepted.Select(a => a.MissionId).Order(StringComparer.Ordinal), listed.Select(v => v.MissionId).Order(StringComparer.Ordinal));
        Assert.Equal(listed.OrderByDescending(v => v.CreatedAt).Select(v => v.CreatedAt), listed.Select(v => v.CreatedAt));
        var newest = await host.Invoker.GetAsync<List<MissionView>>(AppIds.Orchestrator, "v1/missions?limit=5", TestContext.Current.CancellationToken);
        Assert.Equal(5, newest.Count);
        Assert.Equal(newest.OrderByDescending(v => v.CreatedAt).Select(v => v.MissionId), newest.Select(v => v.MissionId));
        Assert.True(newest[^1].CreatedAt >= listed[10].CreatedAt, "the first page holds the newest missions");

        // Let them finish before the host stops (a stop does not wait for 200 running missions).
        foreach (var a in accepted)
        {
            Assert.Equal("Succeeded", (await host.WaitAsync(a.MissionId, seconds: 180)).Status);
        }
    }

    [Fact]
    public async Task The_summary_list_leaves_out_rounds_steps_and_recalled_memories_and_a_bad_view_is_named()
    {
        var ct = TestContext.Current.CancellationToken;
        var plugin = new TestPlugin("summary-env");
        await using var host = await MissionHost.StartAsync(plugin);
        var accepted = await host.Invoker.InvokeAsync<MissionRequest, MissionAccepted>(
            AppIds.Orchestrator, "v1/missions", new MissionRequest(plugin.AppId, plugin.Add(TestPddl.Blocksworld, Pair), "tester"), ct);
        Assert.Equal("Succeeded", (await host.WaitAsync(accepted.MissionId, seconds: 60)).Status);

        var full = Assert.Single(await host.Invoker.GetAsync<List<MissionView>>(AppIds.Orchestrator, "v1/missions?limit=10&view=full", ct));
        var summary = Assert.Single(await host.Invoker.GetAsync<List<MissionView>>(AppIds.Orchestrator, "v1/missions?limit=10&view=summary", ct));

        Assert.NotNull(full.Result!.Steps);
        Assert.NotEmpty(full.Result.Steps);
        Assert.NotNull(full.Result.Rounds);
        Assert.Null(summary.Result!.Steps);
        Assert.Null(summary.Result.Rounds);
        Assert.Null(summary.Result.Recalled);
        Assert.Equal((full.MissionId, full.Status, full.UpdatedAt, full.Result.StepsExecuted, full.Result.GoalReached), (summary.MissionId, summary.Status, summary.UpdatedAt, summary.Result.StepsExecuted, summary.Result.GoalReached));
        Assert.Equal(full.Result.Plan, summary.Result.Plan);
        // Nothing else of the result is lost on the way: field for field the full result less those three.
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(full.Result with { Rounds = null, Steps = null, Recalled = null }, Maximus.ServiceDefaults.MaximusJson.Options),
            System.Text.Json.JsonSerializer.Serialize(summary.Result, Maximus.ServiceDefaults.MaximusJson.Options));
        var bad = await Assert.ThrowsAsync<InvocationException>(() => host.Invoker.GetAsync<List<MissionView>>(AppIds.Orchestrator, "v1/missions?view=everything", ct));
        Assert.Equal(400, bad.Status);
        Assert.Contains("view", bad.Detail ?? bad.Message, StringComparison.Ordinal);
    }
}
