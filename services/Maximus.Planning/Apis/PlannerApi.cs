using Maximus.Contracts;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Ports;
using Maximus.Planning.Llm;

namespace Maximus.Planning.Apis;

/// <summary>The planner's API: candidate plans from a state to a goal over a plugin's actions.</summary>
public static class PlannerApi
{
    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Post<PlanningRequest, PlanningResponse>(AppIds.Planner, "v1/plans", (request, call) =>
        {
            Validate(request);
            return call.GetService<IPlanRequestHandler>().PlanAsync(request, call.CancellationToken);
        }),
    ];

    public static void Validate(PlanningRequest request)
    {
        if (request.Actions is null || request.Actions.Count == 0)
        {
            throw ProblemException.Invalid("actions", "must list at least one action.");
        }

        if (request.Goal is null || request.Goal.Count == 0)
        {
            throw ProblemException.Invalid("goal", "must hold at least one literal.");
        }

        if (request.State is null)
        {
            throw ProblemException.Invalid("state", "is required.");
        }

        if (request.MaxCandidates is < 1 or > 10)
        {
            throw ProblemException.Invalid("maxCandidates", "must be from 1 to 10.");
        }

        if (request.NodeLimit is < 1 or > 50_000_000)
        {
            throw ProblemException.Invalid("nodeLimit", "must be from 1 to 50000000.");
        }

        if (request.TimeLimitMs is < 1 or > 600_000)
        {
            throw ProblemException.Invalid("timeLimitMs", "must be from 1 to 600000.");
        }

        if (request.Planner is { } planner && !PlannerRouter.Names.Contains(planner.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            throw ProblemException.Invalid("planner", $"must be {string.Join(", ", PlannerRouter.Names)} (or omitted).");
        }
    }
}
