using Maximus.Contracts.Memory;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Edge.Planning;
using Maximus.Execution;
using Maximus.Llm;
using Maximus.Mcp.Server;
using Maximus.Memory;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vectors;
using Maximus.Memory.Vectors.Embeddings;
using Maximus.Migration;
using Maximus.Missions;
using Maximus.Planning;
using Maximus.Plugins.Mcp;
using Maximus.Plugins.Mcp.Service;
using Maximus.Plugins.Pddl.Service;
using Maximus.Reflection;
using Maximus.Reflection.Client;
using Maximus.Runtime.Dapr;
using Maximus.Runtime.Embedded;
using Maximus.ServiceDefaults;
using Maximus.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Maximus.Composition;

/// <summary>
/// The composition root shared by the <c>Maximus.Host</c> executable and the <c>maximus</c> CLI: turns the roles of
/// <see cref="MaximusHostSettings"/> into their modules, the runtime's adapters and the routes they serve.
/// </summary>
public static class MaximusCompositionExtensions
{
    /// <summary>Adds the modules of the roles this process runs, then the runtime's adapters.</summary>
    public static TBuilder AddMaximus<TBuilder>(this TBuilder builder, MaximusHostSettings settings)
        where TBuilder : IHostApplicationBuilder
    {
        var services = builder.Services;
        services.AddSingleton(settings);

        // Storage errors (a full disk) name the folder of this process's data files.
        services.Configure<ServiceDefaultsOptions>(o => o.DataDirectory ??= Path.GetFullPath(settings.DataDirectory ?? EmbeddedRuntimeOptions.DefaultDataDirectory()));
        if (settings.Hosts(AppIds.Reflector))
        {
            services.AddReflection();
        }

        if (settings.Hosts(AppIds.Memory))
        {
            services.AddMemory();
            var vectorDirectory = Path.GetFullPath(settings.DataDirectory ?? EmbeddedRuntimeOptions.DefaultDataDirectory());
            services.AddVectorStore(embedded => embedded.DataDirectory ??= vectorDirectory);
            services.AddHealthChecks().AddVectorStoreHealthCheck(Extensions.ReadyTag);

            // Dual-write period of a migration from ChromaDB (Maximus:Memory:DualWrite); nothing when it is off.
            services.AddDualWriteVectorStore(builder.Configuration);
            if (string.Equals(builder.Configuration["Maximus:Memory:Embeddings:Provider"], "gemini", StringComparison.OrdinalIgnoreCase))
            {
                builder.AddLlm();
                services.AddGeminiEmbeddings(builder.Configuration);
            }
            else
            {
                // The local model loads from here on, beside the rest of start-up, and embeds once (its first run is the
                // slow one). The generator itself (its vocabulary) is ready first: services that only ask for its model
                // id and dimension (the collection's check at start) go on; the first embedding waits for the rest.
                var modelOptions = builder.Configuration.GetSection(LocalEmbeddingOptions.Section).Get<LocalEmbeddingOptions>() ?? new LocalEmbeddingOptions();
                var model = Task.Run(() => new LocalEmbeddingGenerator(modelOptions));
                _ = model.ContinueWith(
                    generator => generator.Result.Embed("warm-up"),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                services.AddSingleton(_ => model.GetAwaiter().GetResult());
                services.AddLocalEmbeddings();

                // Ready means ready: the local model loads beside start-up and readiness waits for it.
                services.AddSingleton<EmbeddingWarmup>();
                services.AddHostedService(sp => sp.GetRequiredService<EmbeddingWarmup>());
                services.AddHealthChecks().Add(new HealthCheckRegistration(
                    "embedding-model", sp => sp.GetRequiredService<EmbeddingWarmup>(), failureStatus: null, tags: [Extensions.ReadyTag]));
            }

            // Refuses at start-up a collection made with another embedding model (dimension mismatch).
            services.AddVectorCollection(VectorCollections.Memories, AgentMemory.PayloadIndexes, AgentMemory.TextField);
            services.AddServiceOperations(VectorIndexApi.Operations);
        }

        if (settings.Hosts(AppIds.Planner))
        {
            services.AddPlanning();

            // On an edge node (Maximus:Edge:Enabled): answer on the node what it can, forward the rest to the cloud planner.
            if (builder.Configuration.IsEdgePlanningEnabled())
            {
                services.AddEdgePlanning();
            }
        }

        if (settings.Hosts(AppIds.Executor))
        {
            services.AddExecution();
        }

        if (settings.Hosts(AppIds.Orchestrator))
        {
            services.AddMissions();

            // Mission control (/ui/): the pages that watch and steer missions and memory, offering the known plugins. Only a
            // web host serves them (the CLI's in-process runtime has no pages, and so no antiforgery keys to make).
            if (builder is WebApplicationBuilder)
            {
                services.AddMissionControl(MaximusHostSettings.KnownRoles.Where(r => !AppIds.Services.Contains(r)));
            }
        }

        if (settings.Hosts(AppIds.PddlPlugin))
        {
            services.AddPddlPlugin();
        }

        if (settings.Hosts(AppIds.McpBridge))
        {
            // The user's MCP servers (written by `maximus plugins add-mcp`) live in the data folder's maximus.json.
            builder.Configuration.AddJsonFile(McpUserConfig.PathIn(settings.DataDirectory ?? EmbeddedRuntimeOptions.DefaultDataDirectory()), optional: true, reloadOnChange: false);
            services.AddMcpBridge();
        }

        // The roles that use a model; without a configured provider this registers no IChatClient.
        if (settings.Hosts(AppIds.Planner) || settings.Hosts(AppIds.Reflector) || settings.Hosts(AppIds.Orchestrator))
        {
            builder.AddLlm();
        }

        if (settings.Runtime == RuntimeKind.Embedded)
        {
            services.AddEmbeddedRuntime(o =>
            {
                if (!string.IsNullOrWhiteSpace(settings.DataDirectory))
                {
                    o.DataDirectory = Path.GetFullPath(settings.DataDirectory);
                }
            });
        }
        else
        {
            services.AddDaprRuntime();
        }

        // Maximus as an MCP server (Streamable HTTP, stateless) on the roles whose APIs its tools front.
        if (settings.Hosts(AppIds.Orchestrator) || settings.Hosts(AppIds.Memory))
        {
            services.AddMaximusMcpHttpServer(MaximusHostSettings.KnownRoles.Where(r => !AppIds.Services.Contains(r)));
            services.AddSingleton<McpMapping>();
            services.AddHostedService(sp => sp.GetRequiredService<McpMapping>());
        }

        // Registered after the runtime, so that it stops first and flushes into a still-running event bus.
        if (settings.Hosts(AppIds.Executor) || settings.Hosts(AppIds.Orchestrator))
        {
            // A host's default is durable (a kill -9 loses no accepted log); configuration may still turn it off.
            var durable = builder.Configuration[$"{ReflectorClientOptions.Section}:{nameof(ReflectorClientOptions.Durable)}"] is null;
            services.AddReflectorClient(o =>
            {
                if (durable)
                {
                    o.Durable = true;
                }

                if (o.OutboxPath is null && settings.Runtime == RuntimeKind.Embedded)
                {
                    o.OutboxPath = Path.Combine(Path.GetFullPath(settings.DataDirectory ?? EmbeddedRuntimeOptions.DefaultDataDirectory()), "reflection-outbox.db");
                }
            });
        }

        return builder;
    }

    /// <summary>
    /// Maps the hosted roles' operations. One role: at the root, as its sidecar calls them. Several roles in
    /// one process: the services' operations at the root (their routes are distinct) and every app's
    /// operations also under <c>/{appId}/</c>, so that plugins with the same contract routes do not collide.
    /// </summary>
    public static WebApplication MapMaximus(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<MaximusHostSettings>();
        var operations = app.Services.GetServices<ServiceOperation>().ToList();
        if (settings.Roles.Count == 1)
        {
            app.MapServiceOperations(operations);
        }
        else
        {
            app.MapServiceOperations(operations.Where(o => AppIds.Services.Contains(o.AppId)));
            foreach (var group in operations.GroupBy(o => o.AppId))
            {
                app.MapServiceOperations(group, "/" + group.Key);
            }
        }

        if (settings.Hosts(AppIds.Orchestrator))
        {
            app.MapMissionControl();
        }

        if (settings.Runtime == RuntimeKind.Dapr)
        {
            app.MapDaprEndpoints();
        }

        // Last: /mcp is mapped beside the rest of start-up, and the port opens once it is.
        app.Services.GetService<McpMapping>()?.Begin(app);
        return app;
    }
}
