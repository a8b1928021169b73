using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Dapr;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Tests.EventBus;

/// <summary>
/// Maximus.Host on the Dapr runtime (role reflector) with the test handlers subscribed: its
/// <c>/dapr/subscribe</c> and topic routes receive what <see cref="FakeDaprPubSubSidecar"/> delivers.
/// </summary>
public sealed class DaprEventBusHost : WebApplicationFactory<Program>
{
    public FakeDaprPubSubSidecar Sidecar { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("role", AppIds.Reflector);
        builder.UseSetting("runtime", "dapr");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ReceivedEvents>();
            services.AddEventHandler<ParcelShippedIntegrationEvent, RecordingHandler<ParcelShippedIntegrationEvent>>();
            services.AddEventHandler<ParcelLostIntegrationEvent, RecordingHandler<ParcelLostIntegrationEvent>>();
        });
    }
}

/// <summary>
/// The round trip on Dapr: <see cref="DaprEventBus"/> publishes through the fake sidecar, which delivers the
/// payloads as CloudEvents to the host's topic routes, whose handlers record them.
/// </summary>
public sealed class DaprEventBusConformanceTests(DaprEventBusHost host) : EventBusConformance, IClassFixture<DaprEventBusHost>
{
    private readonly DaprEventBus _bus = new(host.Sidecar.Client);

    protected override IEventBus Bus => _bus;

    protected override ReceivedEvents Received => host.Services.GetRequiredService<ReceivedEvents>();

    protected override async Task DeliverAsync()
    {
        using var client = host.CreateClient();
        await host.Sidecar.DeliverAsync(client, Ct);
    }
}
