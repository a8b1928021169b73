using Maximus.Contracts.Planning;

namespace Maximus.Planning;

/// <summary>
/// What the planner's <c>POST v1/plans</c> answers with: <see cref="Llm.PlannerRouter"/> (symbolic or LLM planner in
/// this process) by default; on an edge node, edge-first planning (<c>Maximus.Edge</c>) that answers on the node and
/// forwards the rest to the cloud planner.
/// </summary>
public interface IPlanRequestHandler
{
    Task<PlanningResponse> PlanAsync(PlanningRequest request, CancellationToken cancellationToken);
}
