using Maximus.Missions.Activities;
using Maximus.Missions.Apis;
using Maximus.Missions.Workflows;
using Maximus.Planning.WorldModels;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Missions;

public static class MissionsModule
{
    /// <summary>
    /// The orchestrator role: the mission workflow, its activities, the world models and the mission API. The simulate
    /// activity composes the world models per mission (contract or LLM, with the empirical model).
    /// </summary>
    public static IServiceCollection AddMissions(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ContractWorldModel>();
        services.TryAddSingleton<EmpiricalWorldModel>();
        services.AddScoped<MissionService>();
        services.AddServiceOperations(MissionsApi.Operations);
        services.AddWorkflow<MissionWorkflow>(
            typeof(ObserveActivity), typeof(PlanActivity), typeof(SimulateActivity), typeof(ExecuteStepActivity), typeof(ReflectActivity), typeof(RememberActivity));
        return services;
    }
}
