using Dapr.Actors;
using Dapr.Actors.Runtime;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Maximus.Runtime.Embedded;
using Maximus.Runtime.Embedded.Actors;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

public sealed class TierActorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Episodic_tier_actor_appends_idempotently_and_lists_newest_first()
    {
        var dir = Directory.CreateTempSubdirectory("maximus-actor-").FullName;
        var db = new SqliteDatabase(Options.Create(new EmbeddedRuntimeOptions { DataDirectory = dir }));
        var host = ActorHost.CreateForTest<EpisodicTierActor>(new ActorTestOptions { ActorId = new ActorId("agent-1") });
        var state = new SqliteActorStateManager(db, nameof(EpisodicTierActor), "agent-1", TimeProvider.System);
        var actor = new EpisodicTierActor(host, TimeProvider.System, state);

        var first = await actor.AppendAsync(new AppendEpisodeRequest("stacked a on b", "executor", "success", Id: "e1", OccurredAt: DateTimeOffset.UnixEpoch.AddDays(1)));
        await actor.AppendAsync(new AppendEpisodeRequest("stacked a on b", "executor", "success", Id: "e1"));
        await actor.AppendAsync(new AppendEpisodeRequest("unstacked c", "executor", "failure", Id: "e2", OccurredAt: DateTimeOffset.UnixEpoch.AddDays(2)));
        await state.SaveStateAsync(Ct);

        var page = await new EpisodicTierActor(host, TimeProvider.System, new SqliteActorStateManager(db, nameof(EpisodicTierActor), "agent-1", TimeProvider.System)).ListAsync(10);

        Assert.Equal("agent-1", first.AgentId);
        Assert.Equal(2, page.Total);
        Assert.Equal(["e2", "e1"], page.Items.Select(e => e.Id));
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

    /// <summary>The memory role alone on the embedded runtime.</summary>
    private sealed class MemoryHost : IAsyncDisposable
    {
        private readonly IHost _host;

        private MemoryHost(IHost host) => _host = host;

        public IServiceProvider Services => _host.Services;

        public static async Task<MemoryHost> StartAsync()
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
            builder.AddMaximusLogging(toStandardError: true);
            builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, Directory.CreateTempSubdirectory("maximus-memory-").FullName));
            var host = builder.Build();
            await host.StartAsync();
            return new MemoryHost(host);
        }

        public async ValueTask DisposeAsync()
        {
            await _host.StopAsync();
            _host.Dispose();
        }
    }
}
