using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Runtime.Tests.EventBus;

/// <summary>
/// The embedded runtime's pub/sub (<see cref="EmbeddedEventBus"/> and <see cref="EmbeddedEventDispatcher"/>)
/// in a generic host, with the test handlers subscribed as the roles subscribe theirs.
/// </summary>
public sealed class EmbeddedEventBusHost : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private IHost? _host;

    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("The host is not started.");

    public async ValueTask InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddEmbeddedRuntime(o => o.DataDirectory = _directory.Path);
        builder.Services.AddSingleton<ReceivedEvents>();
        builder.Services.AddEventHandler<ParcelShippedIntegrationEvent, RecordingHandler<ParcelShippedIntegrationEvent>>();
        builder.Services.AddEventHandler<ParcelLostIntegrationEvent, RecordingHandler<ParcelLostIntegrationEvent>>();
        _host = builder.Build();
        await _host.StartAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        _directory.Dispose();
    }
}

public sealed class EmbeddedEventBusConformanceTests(EmbeddedEventBusHost host) : EventBusConformance, IClassFixture<EmbeddedEventBusHost>
{
    protected override IEventBus Bus => host.Services.GetRequiredService<IEventBus>();

    protected override ReceivedEvents Received => host.Services.GetRequiredService<ReceivedEvents>();

    protected override Task DeliverAsync() =>
        host.Services.GetRequiredService<EmbeddedEventBus>().WaitUntilIdleAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public void The_embedded_runtime_serves_the_port_with_the_embedded_bus()
    {
        Assert.IsType<EmbeddedEventBus>(Bus);
    }
}
