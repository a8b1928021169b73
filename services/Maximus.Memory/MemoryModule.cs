using Maximus.Contracts.Events;
using Maximus.Memory.Actors;
using Maximus.Memory.Apis;
using Maximus.Memory.Vault;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Memory;

public static class MemoryModule
{
    /// <summary>The memory role: episodic memory, its API and the lessons subscription.</summary>
    public static IServiceCollection AddMemory(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EpisodicMemoryStore>();
        services.AddActorType<EpisodicTierActor>();
        services.AddActorType<CoreMemoryActor>();
        services.AddServiceOperations(CoreMemoryApi.Operations);
        services.AddServiceOperations(MemoryApi.Operations);
        services.AddSingleton<VaultKeyRing>();
        services.AddScoped<VaultService>();
        services.AddServiceOperations(VaultApi.Operations);
        services.AddEventHandler<ReflectionCompletedIntegrationEvent, LessonsHandler>();
        return services;
    }
}
