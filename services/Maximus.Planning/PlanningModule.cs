using Maximus.Planning.Apis;
using Maximus.Planning.Llm;
using Maximus.Planning.Symbolic;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Maximus.Planning;

public static class PlanningModule
{
    /// <summary>
    /// The planner role: the symbolic planner over plugin contracts, the LLM planner (used when an
    /// <see cref="IChatClient"/> is registered and the request asks for it, see <see cref="PlannerRouter"/>) and its API.
    /// </summary>
    public static IServiceCollection AddPlanning(this IServiceCollection services)
    {
        services.TryAddSingleton<SymbolicPlanner>();
        services.AddOptions<LlmPlannerOptions>().BindConfiguration(LlmPlannerOptions.Section)
            .Validate(o => o.MaxAttempts is >= 1 and <= 10, $"{LlmPlannerOptions.Section}:MaxAttempts must be from 1 to 10.")
            .Validate(o => o.MaxSteps is >= 1 and <= 10_000, $"{LlmPlannerOptions.Section}:MaxSteps must be from 1 to 10000.")
            .Validate(o => o.TimeLimit > TimeSpan.Zero, $"{LlmPlannerOptions.Section}:TimeLimit must be more than 0.")
            .Validate(o => Enum.IsDefined(o.Mode), $"{LlmPlannerOptions.Section}:Mode must be fast, normal, deep or adaptive.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new LlmPlanner(
            sp.GetService<IChatClient>(),
            sp.GetRequiredService<SymbolicPlanner>(),
            sp.GetRequiredService<IOptions<LlmPlannerOptions>>().Value,
            sp.GetService<ILogger<LlmPlanner>>() ?? NullLogger<LlmPlanner>.Instance));
        services.TryAddSingleton<PlannerRouter>();
        services.TryAddSingleton<IPlanRequestHandler>(sp => sp.GetRequiredService<PlannerRouter>());
        services.AddServiceOperations(PlannerApi.Operations);
        return services;
    }
}
