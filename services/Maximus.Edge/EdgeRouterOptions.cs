namespace Maximus.Edge;

/// <summary>Settings of one <see cref="EdgeRouter{TRequest, TResponse}"/> (section <c>Maximus:Edge:{router name}</c>).</summary>
public sealed class EdgeRouterOptions
{
    public const string Section = "Maximus:Edge";

    /// <summary>
    /// The cloud app to forward to by service invocation. From an edge namespace this is Dapr's cross-namespace
    /// form <c>{app id}.{namespace}</c>, e.g. <c>planner.maximus</c>.
    /// </summary>
    public string CloudAppId { get; set; } = "";

    /// <summary>The cloud app's method (POST), e.g. <c>v1/plans</c>.</summary>
    public string CloudMethod { get; set; } = "";

    /// <summary>A request stays on the edge only when the capability expects to answer within this budget.</summary>
    public TimeSpan LatencyBudget { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The share of requests answered on the edge while the cloud is reachable (0 to 1). Requests the edge can
    /// answer within budget stay on the edge up to this share; the rest go to the cloud (spreading load, keeping
    /// the cloud path warm and observed). 1 keeps every request the edge can answer on the edge. When fewer
    /// requests are within budget than the target, the share is what the capability covers.
    /// </summary>
    public double TargetEdgeShare { get; set; } = 0.8;

    /// <summary>How long a cloud call may take before it counts as unreachable and the edge answers.</summary>
    public TimeSpan CloudTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>After the cloud was unreachable, how long the router stays edge-only before it tries the cloud again.</summary>
    public TimeSpan CloudRetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// HTTP statuses of a failed invocation that mean "the cloud was not reached" (gateway errors and 503, which
    /// the Dapr adapter reports when the sidecar is unreachable). Other errors are the cloud's answer and propagate.
    /// </summary>
    public IList<int> UnreachableStatusCodes { get; set; } = [502, 503, 504];

    /// <summary>The options' problems, or an empty list.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(CloudAppId))
        {
            problems.Add("CloudAppId is required (the cloud app id, e.g. planner.maximus).");
        }

        if (string.IsNullOrWhiteSpace(CloudMethod))
        {
            problems.Add("CloudMethod is required (e.g. v1/plans).");
        }

        if (LatencyBudget <= TimeSpan.Zero)
        {
            problems.Add("LatencyBudget must be positive.");
        }

        if (double.IsNaN(TargetEdgeShare) || TargetEdgeShare is < 0 or > 1)
        {
            problems.Add("TargetEdgeShare must be from 0 to 1.");
        }

        if (CloudTimeout <= TimeSpan.Zero)
        {
            problems.Add("CloudTimeout must be positive.");
        }

        if (CloudRetryInterval < TimeSpan.Zero)
        {
            problems.Add("CloudRetryInterval must not be negative.");
        }

        return problems;
    }
}
