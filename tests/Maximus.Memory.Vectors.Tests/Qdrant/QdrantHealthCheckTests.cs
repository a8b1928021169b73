using Maximus.Memory.Vectors.Tests.Conformance;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maximus.Memory.Vectors.Tests.Qdrant;

/// <summary>The <c>qdrant</c> readiness check: registered only for the Qdrant adapter, healthy only when the server answers.</summary>
public sealed class QdrantHealthCheckTests(QdrantServer server) : IClassFixture<QdrantServer>, IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_embedded_store_adds_no_qdrant_check()
    {
        await using var provider = Services(new() { ["Maximus:Memory:Vectors:DataDirectory"] = _directory.Path });

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        Assert.DoesNotContain("qdrant", report.Entries.Keys);
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }

    [Fact]
    public async Task A_qdrant_server_that_does_not_answer_makes_the_ready_check_unhealthy()
    {
        // Port 1 on the loopback refuses connections at once.
        await using var provider = Services(new() { ["Maximus:Memory:Qdrant:Url"] = "http://127.0.0.1:1" });

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Tags.Contains("ready"), Ct);

        var entry = Assert.Contains("qdrant", report.Entries);
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("ready", entry.Tags);
    }

    [Fact]
    public async Task A_running_qdrant_server_is_ready()
    {
        if (server.Url is null)
        {
            Assert.Skip(server.SkipReason ?? "Qdrant is not available.");
        }

        await using var provider = Services(new() { ["Maximus:Memory:Qdrant:Url"] = server.Url });

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);

        Assert.Equal(HealthStatus.Healthy, Assert.Contains("qdrant", report.Entries).Status);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddVectorStore();
        services.AddHealthChecks().AddVectorStoreHealthCheck("ready");
        return services.BuildServiceProvider();
    }
}
