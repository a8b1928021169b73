using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Runtime.Tests.EventBus;

/// <summary>
/// The embedded bus keeps a published event until it is handled: a process that dies between the publish and the
/// delivery (a SIGKILL; here a bus that is simply abandoned) delivers it when the runtime starts again.
/// </summary>
public sealed class EmbeddedEventBusDurabilityTests
{
    [Fact]
    public async Task An_event_published_before_a_crash_is_delivered_once_the_runtime_starts_again()
    {
        using var directory = new TempDirectory();
        var options = new EmbeddedRuntimeOptions { DataDirectory = directory.Path };
        var shipped = new ParcelShippedIntegrationEvent("p-1", 1200, ["book", "pen"], DateTimeOffset.UnixEpoch.AddDays(3), new ParcelAddress("Lyon", "69001"), "fragile");
        var lost = new ParcelLostIntegrationEvent("p-2", "rain");

        // The process that publishes and dies: nothing delivers its events.
        var before = new EmbeddedEventBus(new SqliteDatabase(options.DatabasePath));
        await before.PublishAsync(shipped, TestContext.Current.CancellationToken);
        await before.PublishBulkAsync([lost], TestContext.Current.CancellationToken);
        Assert.Equal(2, before.Pending);

        // A bus on the same database finds both.
        Assert.Equal(2, new EmbeddedEventBus(new SqliteDatabase(options.DatabasePath)).Pending);

        // The runtime started again delivers them, field for field, and keeps nothing once they are handled.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddEmbeddedRuntime(o => o.DataDirectory = directory.Path);
        builder.Services.AddSingleton<ReceivedEvents>();
        builder.Services.AddEventHandler<ParcelShippedIntegrationEvent, RecordingHandler<ParcelShippedIntegrationEvent>>();
        builder.Services.AddEventHandler<ParcelLostIntegrationEvent, RecordingHandler<ParcelLostIntegrationEvent>>();
        using (var host = builder.Build())
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            await host.Services.GetRequiredService<EmbeddedEventBus>().WaitUntilIdleAsync(TimeSpan.FromSeconds(10));
            var received = host.Services.GetRequiredService<ReceivedEvents>();
            var delivered = Assert.IsType<ParcelShippedIntegrationEvent>(Assert.Single(received.WithId(shipped.Id)).Event);
            Assert.Equal(shipped.Items, delivered.Items);
            Assert.Equal(shipped with { Items = [] }, delivered with { Items = [] });
            Assert.Equal(lost, Assert.Single(received.WithId(lost.Id)).Event);
            await host.StopAsync(CancellationToken.None);
        }

        Assert.Equal(0, new EmbeddedEventBus(new SqliteDatabase(options.DatabasePath)).Pending);
    }
}
