using Dapr.Workflow;
using Maximus.Contracts.Ports;
using Maximus.Runtime.Embedded.Workflows;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Maximus.Runtime.Embedded;

public static class EmbeddedRuntimeExtensions
{
    /// <summary>
    /// The embedded adapters of every port: SQLite state, in-process pub/sub and invocation, and the
    /// in-process workflow engine with its SQLite journal. No sidecar, no servers.
    /// </summary>
    public static IServiceCollection AddEmbeddedRuntime(this IServiceCollection services, Action<EmbeddedRuntimeOptions>? configure = null)
    {
        var options = services.AddOptions<EmbeddedRuntimeOptions>().BindConfiguration(EmbeddedRuntimeOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "DataDirectory is required.")
            .Validate(o => o.MaxDeliveryAttempts is >= 1 and <= 100, "MaxDeliveryAttempts must be from 1 to 100.")
            .Validate(o => o.MaxConcurrentDeliveries is >= 1 and <= 256, "MaxConcurrentDeliveries must be from 1 to 256.")
            .Validate(o => o.MaxConcurrentActivities is >= 0 and <= 1024, "MaxConcurrentActivities must be from 0 (4 per processor) to 1024.");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton<SqliteDatabase>();
        services.TryAddSingleton<IStateStore, SqliteStateStore>();
        services.TryAddSingleton<LocalSecretStore>();
        services.TryAddSingleton<ISecretStore>(sp => sp.GetRequiredService<LocalSecretStore>());
        services.TryAddSingleton<IWritableSecretStore>(sp => sp.GetRequiredService<LocalSecretStore>());
        services.TryAddSingleton<EmbeddedEventBus>();
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<IEventBus>(sp => sp.GetRequiredService<EmbeddedEventBus>());
        services.AddHostedService<EmbeddedEventDispatcher>();
        services.TryAddSingleton<EmbeddedServiceInvoker>();
        services.TryAddSingleton<IServiceInvoker>(sp => sp.GetRequiredService<EmbeddedServiceInvoker>());
        services.TryAddSingleton<WorkflowJournal>();
        services.TryAddSingleton(sp => new EmbeddedWorkflowsFactory(sp.GetServices<WorkflowRegistration>()));
        services.TryAddSingleton<EmbeddedWorkflowEngine>();
        services.TryAddSingleton<IWorkflowHost>(sp => sp.GetRequiredService<EmbeddedWorkflowEngine>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<EmbeddedWorkflowEngine>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Actors.EmbeddedActorHost>();
        services.TryAddSingleton<IActorInvoker>(sp => sp.GetRequiredService<Actors.EmbeddedActorHost>());
        services.AddHealthChecks().AddCheck<SqliteHealthCheck>("sqlite", tags: [Extensions.ReadyTag]);
        return services;
    }
}
