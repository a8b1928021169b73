using System.Text.Json;
using Dapr;
using Dapr.Client;
using Dapr.AspNetCore;
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
        services.AddSingleton<ISecretStore, DaprSecretStore>();
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
                DaprRegistrations.RegisterActor(options, actorType);
            }
        });
        services.AddSingleton<IActorInvoker>(sp => new DaprActorInvoker(sp.GetRequiredService<global::Dapr.Actors.Client.IActorProxyFactory>()));

        var registrations = services
            .Where(d => d.ServiceType == typeof(WorkflowRegistration) && d.ImplementationInstance is WorkflowRegistration)
            .Select(d => (WorkflowRegistration)d.ImplementationInstance!)
            .ToList();
        if (registrations.Count > 0)
        {
            services.AddDaprWorkflow(options => DaprRegistrations.RegisterWorkflows(options, registrations));
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
        app.Use(DropUnreadableEvents);
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapActorsHandlers();
        var subscriptions = app.Services.GetServices<EventSubscription>().ToList();
        foreach (var subscription in subscriptions.Where(s => !s.Bulk).DistinctBy(s => s.Topic))
        {
            app.MapPost($"/events/{subscription.Topic}", (Delegate)((HttpContext http) => HandleAsync(http, subscription.EventType)))
                .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = subscription.Topic, DeadLetterTopic = Topics.DeadLetter });
        }

        foreach (var subscription in subscriptions.Where(s => s.Bulk).DistinctBy(s => s.Topic))
        {
            app.MapPost($"/events/{subscription.Topic}/bulk", (Delegate)((HttpContext http) => HandleBulkAsync(http, subscription.EventType)))
                .WithTopic(new TopicOptions { PubsubName = Components.PubSub, Name = subscription.Topic, DeadLetterTopic = Topics.DeadLetter })
                .WithBulkSubscribe(new BulkSubscribeTopicOptions { TopicName = subscription.Topic, MaxMessagesCount = 100, MaxAwaitDurationMs = 100 });
        }

        return app;
    }

    /// <summary>
    /// A topic delivery whose body is not JSON at all fails inside the CloudEvents middleware; answering 500 would
    /// make Dapr retry a message that can never be read, so it is dropped (to the dead-letter topic) instead.
    /// </summary>
    private static async Task DropUnreadableEvents(HttpContext http, Func<Task> next)
    {
        if (!http.Request.Path.StartsWithSegments("/events"))
        {
            await next().ConfigureAwait(false);
            return;
        }

        try
        {
            await next().ConfigureAwait(false);
        }
        catch (JsonException ex) when (!http.Response.HasStarted)
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Maximus.Subscriptions");
            LogUnreadable(logger, ex, http.Request.Path);
            http.Response.StatusCode = StatusCodes.Status200OK;
            await http.Response.WriteAsJsonAsync(new { status = "DROP" }).ConfigureAwait(false);
        }
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
        try
        {
            foreach (var handler in http.RequestServices.GetServices(handlerType))
            {
                var task = (Task)handlerType.GetMethod(nameof(IIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                    .Invoke(handler, [evt, http.RequestAborted])!;
                await task.ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsPoison(ex))
        {
            LogPoison(logger, ex, eventType.Name);
            return Results.Ok(new { status = "DROP" });
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRetry(logger, ex, eventType.Name);
            return Results.Ok(new { status = "RETRY" });
        }

        return Results.Ok(new { status = "SUCCESS" });
    }

    /// <summary>A Dapr bulk delivery: one status per entry (SUCCESS, RETRY, DROP).</summary>
    private static async Task<IResult> HandleBulkAsync(HttpContext http, Type eventType)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Maximus.Subscriptions");
        BulkSubscribeMessage<JsonElement>? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync<BulkSubscribeMessage<JsonElement>>(http.Request.Body, MaximusJson.Options, http.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, ex, eventType.Name);
            return Results.BadRequest();
        }

        var entries = message?.Entries ?? [];
        var statuses = new string[entries.Count];
        var readable = new List<(int Index, IntegrationEvent Event)>();
        for (var i = 0; i < entries.Count; i++)
        {
            try
            {
                var data = entries[i].Event.ValueKind == JsonValueKind.Object && entries[i].Event.TryGetProperty("data", out var d)
                    && entries[i].Event.TryGetProperty("specversion", out _) ? d : entries[i].Event;
                readable.Add((i, (IntegrationEvent?)data.Deserialize(eventType, MaximusJson.Options) ?? throw new JsonException("null event")));
            }
            catch (JsonException ex)
            {
                LogUnreadable(logger, ex, eventType.Name);
                statuses[i] = nameof(BulkSubscribeAppResponseStatus.DROP);
            }
        }

        if (readable.Count > 0)
        {
            var handlerType = typeof(IBulkIntegrationEventHandler<>).MakeGenericType(eventType);
            var typed = (System.Collections.IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(eventType))!;
            foreach (var (_, e) in readable)
            {
                typed.Add(e);
            }

            IReadOnlyList<BulkEventStatus> results;
            try
            {
                var handler = http.RequestServices.GetRequiredService(handlerType);
                results = await ((Task<IReadOnlyList<BulkEventStatus>>)handlerType.GetMethod(nameof(IBulkIntegrationEventHandler<IntegrationEvent>.HandleAsync))!
                    .Invoke(handler, [typed, http.RequestAborted])!).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRetry(logger, ex, eventType.Name);
                results = readable.Select(_ => IsPoison(ex) ? BulkEventStatus.Drop : BulkEventStatus.Retry).ToList();
            }

            for (var j = 0; j < readable.Count; j++)
            {
                statuses[readable[j].Index] = (j < results.Count ? results[j] : BulkEventStatus.Retry) switch
                {
                    BulkEventStatus.Success => nameof(BulkSubscribeAppResponseStatus.SUCCESS),
                    BulkEventStatus.Drop => nameof(BulkSubscribeAppResponseStatus.DROP),
                    _ => nameof(BulkSubscribeAppResponseStatus.RETRY),
                };
            }
        }

        return Results.Json(new { statuses = entries.Select((e, i) => new { entryId = e.EntryId, status = statuses[i] }) });
    }

    private static bool IsPoison(Exception ex) =>
        ex is PoisonEventException || (ex is ProblemException p && p.Status is >= 400 and < 500);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a poison {EventType}")]
    private static partial void LogPoison(ILogger logger, Exception exception, string eventType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handling {EventType} failed; Dapr will retry")]
    private static partial void LogRetry(ILogger logger, Exception exception, string eventType);

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
