using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Plugins.Pddl.Service;

public static class PddlPluginModule
{
    /// <summary>The PDDL environment plugin app: its store and its operations.</summary>
    public static IServiceCollection AddPddlPlugin(this IServiceCollection services)
    {
        services.AddSingleton<PddlEnvironmentStore>();
        services.AddServiceOperations(PddlPluginApi.Operations());
        return services;
    }
}
