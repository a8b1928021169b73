using Maximus.Execution.Apis;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Maximus.Execution;

public static class ExecutionModule
{
    /// <summary>The executor role: runs plan steps through plugins.</summary>
    public static IServiceCollection AddExecution(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StepExecutor>();
        services.AddServiceOperations(ExecutorApi.Operations);
        return services;
    }
}
