using Maximus.Contracts;
using Maximus.Contracts.Planning;
using Maximus.Planning;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Maximus.Edge.Planning;

public static class EdgePlanningExtensions
{
    /// <summary>Whether <c>Maximus:Edge:Enabled</c> is on: the planner role then answers edge-first.</summary>
    public static bool IsEdgePlanningEnabled(this IConfiguration configuration) =>
        configuration.GetSection(EdgePlanningOptions.Section).Get<EdgePlanningOptions>()?.Enabled == true;

    /// <summary>
    /// Makes the planner role (<c>AddPlanning</c>) answer edge-first: its <c>v1/plans</c> goes through the edge router
    /// <c>planner</c> over <see cref="SymbolicEdgePlanning"/>, which forwards by service invocation to the cloud planner
    /// (<see cref="EdgePlanningOptions.DefaultCloudAppId"/>, <c>v1/plans</c> unless configured under <c>Maximus:Edge:planner</c>).
    /// </summary>
    public static IServiceCollection AddEdgePlanning(this IServiceCollection services)
    {
        services.AddOptions<EdgePlanningOptions>().BindConfiguration(EdgePlanningOptions.Section)
            .Validate(o => o.Problems().Count == 0, $"{EdgePlanningOptions.Section}: PlanCacheCapacity and FirstPlanEstimate must not be negative, MinimumExtraSearchTime must be from 0 to 1 minute.")
            .ValidateOnStart();

        // The planner router's defaults, before its configuration section is bound (which may override them).
        services.AddOptions<EdgeRouterOptions>(EdgePlanningOptions.RouterName).Configure(o =>
        {
            o.CloudAppId = EdgePlanningOptions.DefaultCloudAppId;
            o.CloudMethod = EdgePlanningOptions.DefaultCloudMethod;
        });
        services.AddSingleton<IValidateOptions<EdgeRouterOptions>, NotItselfValidator>();
        services.AddEdgeRouter<PlanningRequest, PlanningResponse, SymbolicEdgePlanning>(EdgePlanningOptions.RouterName);
        services.Replace(ServiceDescriptor.Singleton<IPlanRequestHandler, EdgeFirstPlanning>());
        return services;
    }

    /// <summary>The edge planner forwarding to its own app id would call itself (from the edge namespace, <c>planner</c> is this app).</summary>
    private sealed class NotItselfValidator : IValidateOptions<EdgeRouterOptions>
    {
        public ValidateOptionsResult Validate(string? name, EdgeRouterOptions options) =>
            name == EdgePlanningOptions.RouterName && string.Equals(options.CloudAppId.Trim(), AppIds.Planner, StringComparison.Ordinal)
                ? ValidateOptionsResult.Fail(
                    $"{EdgeRouterOptions.Section}:{EdgePlanningOptions.RouterName}: CloudAppId '{AppIds.Planner}' is this edge planner itself; "
                    + $"name the cloud planner in its namespace, e.g. {EdgePlanningOptions.DefaultCloudAppId}.")
                : ValidateOptionsResult.Skip;
    }
}
