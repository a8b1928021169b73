using Maximus.Contracts.Events;
using Maximus.Reflection.Apis;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Reflection;

public static class ReflectionModule
{
    /// <summary>The reflector role: heuristic reflector, reflection API and the execution-log subscription.</summary>
    public static IServiceCollection AddReflection(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HeuristicReflector>();

        // A configured model (an IChatClient in DI, from the LLM layer) reflects; the heuristic reflector otherwise.
        services.TryAddSingleton<IReflector>(sp => sp.GetService<Microsoft.Extensions.AI.IChatClient>() is { } chat
            ? ActivatorUtilities.CreateInstance<ChatClientReflector>(sp, chat)
            : sp.GetRequiredService<HeuristicReflector>());
        services.AddScoped<ReflectionService>();
        services.AddServiceOperations(ReflectionApi.Operations);
        services.AddEventHandler<ExecutionLoggedIntegrationEvent, ExecutionLoggedHandler>();
        services.AddBulkEventHandler<ExecutionLogBatchedIntegrationEvent, ExecutionLogBatchedHandler>();
        return services;
    }
}
