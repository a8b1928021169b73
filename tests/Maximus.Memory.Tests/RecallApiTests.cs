using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Memory.Apis;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Memory.Tests;

public sealed class RecallApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Conversation_turns_are_recalled_by_hybrid_retrieval_through_the_memory_api()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" });
        builder.AddMaximusLogging(toStandardError: true);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, Directory.CreateTempSubdirectory("maximus-recall-").FullName));
        using var host = builder.Build();
        await host.StartAsync(Ct);
        var invoker = host.Services.GetRequiredService<IServiceInvoker>();

        var ingested = await invoker.InvokeAsync<HybridApi.IngestRequest, HybridApi.IngestResponse>(AppIds.Memory, "v1/memory/caroline/conversations", new(
        [
            new("I went to the LGBTQ support group yesterday.", "Caroline", "s1", 1, Id: "t1"),
            new("That sounds wonderful, how was it?", "Melanie", "s1", 2, Id: "t2"),
            new("I painted a sunrise over the lake last week.", "Melanie", "s2", 1, Id: "t3"),
        ]), Ct);
        var recalled = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(
            AppIds.Memory, "v1/memory/caroline/recall", new("When did Caroline go to the support group?", 2), Ct);
        var empty = await Assert.ThrowsAsync<InvocationException>(() =>
            invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(AppIds.Memory, "v1/memory/caroline/recall", new(" ", 2), Ct));
        var other = await invoker.InvokeAsync<HybridApi.RecallRequest, HybridApi.RecallResponse>(
            AppIds.Memory, "v1/memory/someone-else/recall", new("support group", 5), Ct);

        Assert.Equal(3, ingested.Ingested);
        Assert.Equal("t1", recalled.Hits[0].Id);
        Assert.Equal(400, empty.Status);
        Assert.Empty(other.Hits);
        await host.StopAsync(Ct);
    }
}
