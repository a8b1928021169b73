using Maximus.Contracts.Planning;
using Maximus.Planning.Symbolic;

namespace Maximus.Planning.Llm;

/// <summary>
/// Chooses the planner of a request by <see cref="PlanningRequest.Planner"/>:
/// <list type="bullet">
/// <item><c>symbolic</c>: the symbolic planner.</item>
/// <item><c>llm</c>: the LLM planner (which falls back to the symbolic planner without a model).</item>
/// <item><c>auto</c> (the default, also for null): the symbolic planner whenever some action declares effects (it is
/// exact and fast there, so existing behaviour is kept); the LLM planner, when a model is configured, for plugins whose
/// actions declare no STRIPS effects, which the symbolic planner cannot plan over.</item>
/// </list>
/// </summary>
public sealed class PlannerRouter(SymbolicPlanner symbolic, LlmPlanner llm) : IPlanRequestHandler
{
    public const string Auto = "auto";
    public const string Symbolic = SymbolicPlanner.PlannerName;
    public const string Llm = LlmPlanner.PlannerName;

    public static IReadOnlyList<string> Names { get; } = [Auto, Symbolic, Llm];

    public Task<PlanningResponse> PlanAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Choose(request) == Llm
            ? llm.PlanAsync(request, cancellationToken)
            : Task.Run(() => symbolic.Plan(request, cancellationToken), cancellationToken);
    }

    /// <summary><c>symbolic</c> or <c>llm</c> for this request.</summary>
    public string Choose(PlanningRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var asked = string.IsNullOrWhiteSpace(request.Planner) ? Auto : request.Planner.Trim().ToLowerInvariant();
        return asked switch
        {
            Symbolic => Symbolic,
            Llm => Llm,
            _ => llm.HasModel && !(request.Actions ?? []).Any(a => a.Effects is { Count: > 0 }) ? Llm : Symbolic,
        };
    }
}
