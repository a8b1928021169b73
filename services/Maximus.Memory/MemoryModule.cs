using Maximus.Contracts.Memory;
using Maximus.Contracts.Events;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Maximus.Memory.Hybrid;
using Maximus.Memory.Mirix;
using Maximus.Memory.Vault;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Memory;

public static class MemoryModule
{
    /// <summary>The memory role: one searchable store for every write path, its APIs and the lessons subscription.</summary>
    public static IServiceCollection AddMemory(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddActorType<CoreMemoryActor>();
        services.AddServiceOperations(CoreMemoryApi.Operations);

        // The searchable MIRIX types; the vector store and the embedding model come from the composition root.
        services.AddOptions<MemoryOptions>().BindConfiguration(MemoryOptions.Section)
            .Validate(o => o.Oversampling is >= 1 and <= 20, "Oversampling must be from 1 to 20.")
            .Validate(o => o.SemanticHops is >= 0 and <= 2, "SemanticHops must be from 0 to 2.")
            .ValidateOnStart();
        services.AddSingleton<AgentMemory>();
        services.AddServiceOperations(AgentMemoryApi.Operations);
        services.AddHostedService<MemoryPurgeService>();

        // Hybrid recall (BM25 + dense), both through the vector store port.
        services.AddOptions<HybridRetrievalOptions>().BindConfiguration(HybridRetrievalOptions.Section);
        services.AddSingleton<HybridRetriever>();
        services.AddServiceOperations(HybridApi.Operations);

        // v1 episodic route: an alias over the same store (no second source of truth).
        services.AddSingleton<EpisodicMemoryStore>();
        services.AddServiceOperations(MemoryApi.Operations);
        services.AddSingleton<VaultKeyRing>();
        services.AddScoped<VaultService>();
        services.AddServiceOperations(VaultApi.Operations);
        services.AddEventHandler<ReflectionCompletedIntegrationEvent, LessonsHandler>();
        return services;
    }
}
