using Maximus.Planning.Apis;
using Maximus.Planning.Symbolic;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Planning;

public static class PlanningModule
{
    /// <summary>The planner role: the symbolic planner over plugin contracts and its API.</summary>
    public static IServiceCollection AddPlanning(this IServiceCollection services)
    {
        services.TryAddSingleton<SymbolicPlanner>();
        services.AddServiceOperations(PlannerApi.Operations);
        return services;
    }
}
