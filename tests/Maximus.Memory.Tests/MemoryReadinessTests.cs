using Maximus.Composition;
using Maximus.Contracts;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Tests;

/// <summary>
/// The memory role's /health/ready (checks tagged live or ready) includes Qdrant when Qdrant is the configured store,
/// as k8s/base/memory.yaml configures it (Maximus__Memory__Qdrant__Url): a pod is not ready while Qdrant does not answer.
/// </summary>
public sealed class MemoryReadinessTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("maximus-ready-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Memory_role_with_qdrant_configured_is_not_ready_while_qdrant_does_not_answer()
    {
        // Port 1 on the loopback refuses connections at once. The host is built, not started (starting would create
        // the collection in Qdrant), so the check is asked directly, with the /health/ready predicate.
        using var host = Build(new() { ["Maximus:Memory:Qdrant:Url"] = "http://127.0.0.1:1" });

        var registration = Assert.Single(host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations, r => r.Name == "qdrant");
        Assert.Contains(Extensions.ReadyTag, registration.Tags);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(IsReadiness, Ct);
        Assert.Equal(HealthStatus.Unhealthy, Assert.Contains("qdrant", report.Entries).Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
    }

    [Fact]
    public async Task Memory_role_on_the_embedded_store_has_no_qdrant_check()
    {
        using var host = Build([]);

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(IsReadiness, Ct);

        Assert.DoesNotContain("qdrant", report.Entries.Keys);
    }

    private static bool IsReadiness(HealthCheckRegistration check) =>
        check.Tags.Contains(Extensions.LiveTag) || check.Tags.Contains(Extensions.ReadyTag);

    private IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, _directory));
        return builder.Build();
    }
}
