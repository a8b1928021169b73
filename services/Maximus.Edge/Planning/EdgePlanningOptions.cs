using Maximus.Contracts;

namespace Maximus.Edge.Planning;

/// <summary>
/// The planner role on an edge node (section <c>Maximus:Edge</c>; the router's own settings are under
/// <c>Maximus:Edge:planner</c>, see <see cref="EdgeRouterOptions"/>).
/// </summary>
public sealed class EdgePlanningOptions
{
    public const string Section = EdgeRouterOptions.Section;

    /// <summary>The router's name, hence its settings section <c>Maximus:Edge:planner</c> and its metrics' tag.</summary>
    public const string RouterName = AppIds.Planner;

    /// <summary>The cloud planner from the edge namespace: Dapr's cross-namespace form of the planner in <c>maximus</c>.</summary>
    public const string DefaultCloudAppId = AppIds.Planner + ".maximus";

    /// <summary>The cloud planner's method: the same operation this role serves.</summary>
    public const string DefaultCloudMethod = "v1/plans";

    /// <summary>
    /// On: the planner role answers edge-first (the symbolic planner and the plan cache on the node, the cloud planner
    /// for the rest). Off (the default): the planner answers everything in process, as in the cloud.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Answers kept on the node for repeated requests (same actions, state, goal, exclusions, candidates); 0 turns the cache off.</summary>
    public int PlanCacheCapacity { get; set; } = 1024;

    /// <summary>
    /// The expected time of the symbolic planner for a problem shape (domain and number of objects) it has not planned
    /// yet. After the first answer the measured time (a moving average) replaces it, so a shape that proves slower than
    /// the router's latency budget goes to the cloud while the cloud is reachable.
    /// </summary>
    public TimeSpan FirstPlanEstimate { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// After its first plan, the node's symbolic planner looks for shorter ones for at least this long (or twice as long
    /// as the first search took); the cloud's planner for at least 200 ms. The short floor keeps edge answers within the
    /// latency budget (it measured p99 2-6 ms instead of 14-47 ms for new 3-6 block Blocksworld problems, bench edge);
    /// a plan may be a step longer than the cloud's.
    /// </summary>
    public TimeSpan MinimumExtraSearchTime { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The options' problems, or an empty list.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (PlanCacheCapacity < 0)
        {
            problems.Add("PlanCacheCapacity must not be negative.");
        }

        if (FirstPlanEstimate < TimeSpan.Zero)
        {
            problems.Add("FirstPlanEstimate must not be negative.");
        }

        if (MinimumExtraSearchTime < TimeSpan.Zero || MinimumExtraSearchTime > TimeSpan.FromMinutes(1))
        {
            problems.Add("MinimumExtraSearchTime must be from 0 to 1 minute.");
        }

        return problems;
    }
}
