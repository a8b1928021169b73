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
        services.AddOptions<ExecutionOptions>().BindConfiguration(ExecutionOptions.Section)
            .Validate(o => o.StepTimeout > TimeSpan.Zero && o.StepTimeout <= TimeSpan.FromDays(1), "Maximus:Execution:StepTimeout must be positive and at most a day.")
            .ValidateOnStart();
        services.AddSingleton<StepExecutor>();
        services.AddServiceOperations(ExecutorApi.Operations);
        return services;
    }
}
