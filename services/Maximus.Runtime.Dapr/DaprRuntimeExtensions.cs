using System.Text.Json;
using Dapr;
using Dapr.Client;
using Dapr.Workflow;
using Maximus.Contracts;
using Maximus.Contracts.Events;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Maximus.Runtime.Dapr;

public static partial class DaprRuntimeExtensions
{
    /// <summary>
    /// The Dapr adapters of every port. Call after the modules, so that their workflow registrations are known.
    /// </summary>
    public static IServiceCollection AddDaprRuntime(this IServiceCollection services)
    {
        services.AddDaprClient(b => b.UseJsonSerializationOptions(new JsonSerializerOptions(MaximusJson.Options)));
        services.AddSingleton<IEventBus, DaprEventBus>();
        services.AddSingleton<IStateStore, DaprStateStore>();
        services.AddHttpClient(DaprServiceInvoker.HttpClientName).AddHttpMessageHandler(() => new InvocationHandler());
        services.AddSingleton<IServiceInvoker>(sp =>
            new DaprServiceInvoker(sp.GetRequiredService<IHttpClientFactory>().CreateClient(DaprServiceInvoker.HttpClientName)));
        services.AddHealthChecks().AddCheck<DaprSidecarHealthCheck>("dapr-sidecar", tags: [Extensions.ReadyTag]);

        var actorTypes = services
            .Where(d => d.ServiceType == typeof(ActorTypeRegistration) && d.ImplementationInstance is ActorTypeRegistration)
            .Select(d => (ActorTypeRegistration)d.ImplementationInstance!)
            .ToList();
        services.AddActors(options =>
        {
            options.UseJsonSerialization = true;
            options.JsonSerializerOptions = new JsonSerializerOptions(MaximusJson.Options);
            foreach (var actorType in actorTypes)
            {
                actorType.Register(options);
            }
        });
        services.AddSingleton<IActorInvoker>(sp => new DaprActorInvoker(sp.GetRequiredService<global::Dapr.Actors.Client.IActorProxyFactory>()));

        var registrations = services
            .Where(d => d.ServiceType == typeof(WorkflowRegistration) && d.ImplementationInstance is WorkflowRegistration)
            .Select(d => (WorkflowRegistration)d.ImplementationInstance!)
            .ToList();
        if (registrations.Count > 0)
        {
            services.AddDaprWorkflow(options =>
            {
                foreach (var registration in registrations)
                {
                    registration.Register(options);
                }
            });
            services.AddSingleton<IWorkflowHost, DaprWorkflowHost>();
        }

        return services;
    }

    /// <summary>
    /// What the sidecar calls: <c>/dapr/config</c> and the actor routes, CloudEvents unwrapping,
    /// <c>/dapr/subscribe</c> and one topic route per subscription (<c>POST /events/{topic}</c>).
    /// A body that cannot be read is dropped to the dead-letter topic; a failing handler asks Dapr to retry.
    /// </summary>
    public static WebApplication MapDaprEndpoints(this WebApplication app)
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapActorsHandlers();
        foreach (var subscription in app.Services.GetServices<EventSubscription>().DistinctBy(s => s.Topic))
        {
            app.MapPost($"/events/{subscription.Topic}", (Delegate)((HttpContext http) => HandleAsync(http, subscription.EventType)))
                .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = subscription.Topic, DeadLetterTopic = Topics.DeadLetter });
        }

        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, Type eventType)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Maximus.Subscriptions");
        IntegrationEvent? evt;
        try
        {
            evt = (IntegrationEvent?)await JsonSerializer.DeserializeAsync(http.Request.Body, eventType, MaximusJson.Options, http.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, ex, eventType.Name);
            return Results.Ok(new { status = "DROP" });
        }

        if (evt is null)
        {
            return Results.Ok(new { status = "DROP" });
        }

        var handlerType = typeof(IIntegrationEventHandler<>).MakeGenericType(eventType);
        foreach (var handler in http.RequestServices.GetServices(handlerType))
        {
            var task = (Task)handlerType.GetMethod(nameof(IIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                .Invoke(handler, [evt, http.RequestAborted])!;
            await task.ConfigureAwait(false);
        }

        return Results.Ok(new { status = "SUCCESS" });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped an unreadable {EventType}")]
    private static partial void LogUnreadable(ILogger logger, Exception exception, string eventType);
}

/// <summary>Ready only when the Dapr sidecar answers its health endpoint.</summary>
internal sealed class DaprSidecarHealthCheck(DaprClient dapr) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await dapr.CheckHealthAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The Dapr sidecar is not healthy.");
}
