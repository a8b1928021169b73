using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Memory.Tests;

public sealed class TierActorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Episodic_appends_are_idempotent_listed_newest_first_and_survive_a_restart()
    {
        string dir;
        EpisodicMemory first;
        await using (var host = await MemoryHost.StartAsync())
        {
            dir = host.DataDirectory;
            var store = host.Get<EpisodicMemoryStore>();
            first = await store.AppendAsync("agent-1", new AppendEpisodeRequest("stacked a on b", "executor", "success", Id: "e1", OccurredAt: DateTimeOffset.UnixEpoch.AddDays(1)), Ct);
            await store.AppendAsync("agent-1", new AppendEpisodeRequest("stacked a on b", "executor", "success", Id: "e1"), Ct);
            await store.AppendAsync("agent-1", new AppendEpisodeRequest("unstacked c", "executor", "failure", Id: "e2", OccurredAt: DateTimeOffset.UnixEpoch.AddDays(2)), Ct);
        }

        await using var restarted = await MemoryHost.StartAsync(dir);
        var page = await restarted.Get<EpisodicMemoryStore>().ListAsync("agent-1", 10, Ct);

        Assert.Equal("agent-1", first.AgentId);
        Assert.Equal(2, page.Total);
        Assert.Equal(["e2", "e1"], page.Items.Select(e => e.Id));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(1), page.Items[1].OccurredAt);
    }

    [Fact]
    public async Task Concurrent_writes_to_one_agents_tier_lose_nothing()
    {
        await using var host = await MemoryHost.StartAsync();
        var store = host.Services.GetRequiredService<EpisodicMemoryStore>();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => store.AppendAsync("busy-agent", new AppendEpisodeRequest($"event {i}", "test", "ok"), Ct), Ct)));

        var page = await store.ListAsync("busy-agent", 1000, Ct);
        Assert.Equal(200, page.Total);
        Assert.Equal(200, page.Items.Select(e => e.Event).Distinct().Count());
    }

    [Fact]
    public async Task Core_blocks_are_replaced_whole_and_versioned()
    {
        await using var host = await MemoryHost.StartAsync();
        var invoker = host.Services.GetRequiredService<IServiceInvoker>();

        await invoker.InvokeAsync<CoreMemoryApi.ReplaceBlockRequest, CoreBlock>(AppIds.Memory, "v1/memory/a1/core/persona", new("I am a careful planner."), Ct);
        var second = await invoker.InvokeAsync<CoreMemoryApi.ReplaceBlockRequest, CoreBlock>(AppIds.Memory, "v1/memory/a1/core/persona", new("I am a fast planner."), Ct);
        await invoker.InvokeAsync<CoreMemoryApi.ReplaceBlockRequest, CoreBlock>(AppIds.Memory, "v1/memory/a1/core/human", new("The user likes short plans."), Ct);
        var core = await invoker.GetAsync<CoreMemory>(AppIds.Memory, "v1/memory/a1/core", Ct);
        var tooLong = await Assert.ThrowsAsync<InvocationException>(() =>
            invoker.InvokeAsync<CoreMemoryApi.ReplaceBlockRequest, CoreBlock>(AppIds.Memory, "v1/memory/a1/core/persona", new(new string('x', 9000)), Ct));

        Assert.Equal(2, second.Version);
        Assert.Equal(["human", "persona"], core.Blocks.Select(b => b.Name));
        Assert.Equal("I am a fast planner.", core.Blocks.Single(b => b.Name == "persona").Text);
        Assert.Equal(400, tooLong.Status);
    }
}
