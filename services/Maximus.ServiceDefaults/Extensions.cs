using Maximus.Contracts.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Maximus.ServiceDefaults;

/// <summary>What every Maximus process gets: logging, telemetry, health, problem details, limits, API token.</summary>
public static class Extensions
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>The liveness endpoint's path (checks tagged <see cref="LiveTag"/>).</summary>
    public const string LivePath = "/health/live";

    /// <summary>Activity source and meter prefix of Maximus code.</summary>
    public const string TelemetryPrefix = "Maximus";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddMaximusLogging();
        builder.AddMaximusTelemetry(serviceName);

        builder.Services.AddOptions<ServiceDefaultsOptions>()
            .BindConfiguration(ServiceDefaultsOptions.Section)
            .Validate(o => o.MaxRequestBodyBytes > 0, "MaxRequestBodyBytes must be positive.")
            .Validate(o => o.AdmissionPermitsPerCore >= 0, "AdmissionPermitsPerCore must not be negative.")
            .Validate(o => o.RetryAfterSeconds is >= 1 and <= 3600, "RetryAfterSeconds must be from 1 to 3600.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AdmissionLimits>();
        builder.Services.Configure<KestrelServerOptions>(k =>
            k.Limits.MaxRequestBodySize = builder.Configuration.GetValue(
                $"{ServiceDefaultsOptions.Section}:{nameof(ServiceDefaultsOptions.MaxRequestBodyBytes)}", new ServiceDefaultsOptions().MaxRequestBodyBytes));

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier));
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddSingleton<HttpWarmup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HttpWarmup>());
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            HttpWarmup.CheckName, sp => sp.GetRequiredService<HttpWarmup>(), failureStatus: null, tags: [ReadyTag]));
        return builder;
    }

    /// <summary>Serilog: readable console lines, or compact JSON with <c>--log-format json</c> or in a container.</summary>
    public static TBuilder AddMaximusLogging<TBuilder>(this TBuilder builder, bool toStandardError = false)
        where TBuilder : IHostApplicationBuilder
    {
        var json = string.Equals(builder.Configuration["log-format"], "json", StringComparison.OrdinalIgnoreCase)
            || string.Equals(builder.Configuration["DOTNET_RUNNING_IN_CONTAINER"], "true", StringComparison.OrdinalIgnoreCase);

        // Serilog writes the console; the default console provider would print every line twice.
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, config) =>
            {
                config.MinimumLevel.Information()
                    .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                    .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                    .MinimumLevel.Override("System.Net.Http.HttpClient", LogEventLevel.Warning)
                    .ReadFrom.Configuration(builder.Configuration)
                    .Enrich.FromLogContext();
                var stderrFrom = toStandardError ? LogEventLevel.Verbose : (LogEventLevel?)null;
                if (json)
                {
                    config.WriteTo.Console(new RenderedCompactJsonFormatter(), standardErrorFromLevel: stderrFrom);
                }
                else
                {
                    config.WriteTo.Console(
                        outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}",
                        standardErrorFromLevel: stderrFrom,
                        formatProvider: System.Globalization.CultureInfo.InvariantCulture);
                }
            },
            writeToProviders: true);
        return builder;
    }

    /// <summary>OpenTelemetry traces, metrics and logs; exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
    public static TBuilder AddMaximusTelemetry<TBuilder>(this TBuilder builder, string serviceName)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation()
                .AddMeter($"{TelemetryPrefix}.*"))
            .WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddSource($"{TelemetryPrefix}.*"));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Health, problem details and the API token check; call right after <c>Build()</c>.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<ApiTokenMiddleware>();
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(LiveTag) || c.Tags.Contains(ReadyTag) });
        return app;
    }

    /// <summary>Declares service operations (served over HTTP and dispatched in process by the embedded invoker).</summary>
    public static IServiceCollection AddServiceOperations(this IServiceCollection services, IEnumerable<ServiceOperation> operations)
    {
        foreach (var operation in operations)
        {
            services.AddSingleton(operation);
        }

        return services;
    }

    /// <summary>Subscribes <typeparamref name="THandler"/> to the topic of <typeparamref name="TEvent"/>.</summary>
    public static IServiceCollection AddEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : Contracts.Events.IntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.AddScoped<IIntegrationEventHandler<TEvent>, THandler>();
        services.AddSingleton(new EventSubscription(typeof(TEvent), typeof(THandler)));
        return services;
    }

    /// <summary>Subscribes a bulk handler to the topic of <typeparamref name="TEvent"/> (Dapr bulk subscribe).</summary>
    public static IServiceCollection AddBulkEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : Contracts.Events.IntegrationEvent
        where THandler : class, IBulkIntegrationEventHandler<TEvent>
    {
        services.AddScoped<IBulkIntegrationEventHandler<TEvent>, THandler>();
        services.AddSingleton(new EventSubscription(typeof(TEvent), typeof(THandler), Bulk: true));
        return services;
    }

    /// <summary>
    /// Registers a workflow class (written against Dapr.Workflow's <c>Workflow&lt;TIn,TOut&gt;</c>) and the activity
    /// classes it calls, by type: each runtime registers them its own way (Dapr's workflow runtime, or the embedded engine).
    /// </summary>
    public static IServiceCollection AddWorkflow<TWorkflow>(this IServiceCollection services, params Type[] activities)
        where TWorkflow : class
    {
        services.AddSingleton(new WorkflowRegistration(typeof(TWorkflow), [.. activities]));
        return services;
    }

    /// <summary>
    /// Registers an actor class (written against Dapr.Actors' <c>Actor</c>) under its type name: the Dapr runtime hosts
    /// it with Dapr actors, the embedded runtime in process.
    /// </summary>
    public static IServiceCollection AddActorType<TActor>(this IServiceCollection services)
        where TActor : class
    {
        services.AddSingleton(new ActorTypeRegistration(typeof(TActor), typeof(TActor).Name));
        return services;
    }

    internal static bool IsHealthPath(PathString path) => path.StartsWithSegments("/health");
}

/// <summary>An actor class a module hosts (a Dapr.Actors <c>Actor</c>) and its actor type name; no Dapr type here, each runtime turns it into its own registration.</summary>
public sealed record ActorTypeRegistration(Type ActorType, string ActorTypeName);

/// <summary>A workflow class a module hosts (a Dapr.Workflow <c>Workflow&lt;TIn,TOut&gt;</c>) and the activity classes it calls; each runtime turns it into its own registrations.</summary>
public sealed record WorkflowRegistration(Type Workflow, IReadOnlyList<Type> Activities);
