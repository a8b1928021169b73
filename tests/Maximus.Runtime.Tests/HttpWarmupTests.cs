using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Maximus.Runtime.Tests;

/// <summary>
/// A host serves its first request to itself before it reports ready (<see cref="HttpWarmup"/>), over Kestrel on a real
/// loopback port: the readiness check waits for it, and the request goes through the host's own pipeline.
/// </summary>
public sealed class HttpWarmupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://+:80", "http://127.0.0.1/")]
    [InlineData("http://*:3500/", "http://127.0.0.1:3500/")]
    [InlineData("http://[::]:8080", "http://[::1]:8080/")]
    [InlineData("http://localhost:5001", "http://localhost:5001/")]
    [InlineData("HTTP://[::1]:9000", "http://[::1]:9000/")]
    [InlineData("https://127.0.0.1:5001", null)]
    [InlineData("http://unix:/tmp/maximus.sock", null)]
    [InlineData("http://127.0.0.1", null)]
    [InlineData("http://127.0.0.1:port", null)]
    public void LoopbackAddress_maps_wildcards_to_loopback_and_skips_what_it_cannot_call(string address, string? expected)
    {
        Assert.Equal(expected, HttpWarmup.LoopbackAddress(address)?.ToString());
    }

    [Fact]
    public async Task The_host_is_ready_only_after_its_pipeline_has_served_the_warm_up_request()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults("warmup-test");
        await using var app = builder.Build();
        var served = new List<string>();
        app.Use(async (context, next) =>
        {
            lock (served)
            {
                served.Add(context.Request.Path.Value ?? "");
            }

            await next(context);
        });
        app.MapDefaultEndpoints();
        var warmup = app.Services.GetRequiredService<HttpWarmup>();
        var health = app.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync(c => c.Name == HttpWarmup.CheckName, Ct);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);

        await app.StartAsync(Ct);
        try
        {
            await warmup.Completion.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            var after = await health.CheckHealthAsync(c => c.Tags.Contains(Extensions.ReadyTag), Ct);

            Assert.Equal(HealthStatus.Healthy, Assert.Contains(HttpWarmup.CheckName, after.Entries).Status);
            lock (served)
            {
                Assert.Equal(["/health/live"], served);
            }
        }
        finally
        {
            await app.StopAsync(Ct);
        }
    }
}
