using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Planning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.Edge.Planning;

/// <summary>
/// The planner's <c>v1/plans</c> on an edge node: <see cref="EdgeRouter{TRequest, TResponse}"/> over
/// <see cref="SymbolicEdgePlanning"/>, so the node answers what it can and the cloud planner the rest. A request
/// neither can answer (the cloud unreachable, the request needs the LLM planner) is a 503 problem that says why and
/// what to do.
/// </summary>
public sealed class EdgeFirstPlanning(
    [FromKeyedServices(EdgePlanningOptions.RouterName)] EdgeRouter<PlanningRequest, PlanningResponse> router,
    IOptionsMonitor<EdgeRouterOptions> routerOptions) : IPlanRequestHandler
{
    public async Task<PlanningResponse> PlanAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await router.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (EdgeUnavailableException)
        {
            var options = routerOptions.Get(EdgePlanningOptions.RouterName);
            var why = SymbolicEdgePlanning.NeedsLlm(request) ?? "the edge's symbolic planner failed on it";
            throw new ProblemException(
                503,
                "Cloud planner unreachable",
                $"The edge node cannot reach the cloud planner '{options.CloudAppId}' and cannot plan this request itself: {why}. "
                + $"Retry later (the node tries the cloud again every {options.CloudRetryInterval.TotalSeconds:0.###} s), or declare STRIPS "
                + "effects on the plugin's actions so the edge's symbolic planner can plan over them.");
        }
    }
}
