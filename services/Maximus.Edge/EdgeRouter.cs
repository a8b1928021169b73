using System.Diagnostics;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Logging;

namespace Maximus.Edge;

/// <summary>Where a request was answered.</summary>
public enum EdgeRoute
{
    /// <summary>On the edge node, by the local capability, within its latency budget.</summary>
    Edge,

    /// <summary>By the cloud app, through service invocation.</summary>
    Cloud,

    /// <summary>On the edge node because the cloud was unreachable (edge-only mode), possibly over budget.</summary>
    EdgeFallback,
}

/// <summary>A routed answer and where it came from.</summary>
public sealed record EdgeRouted<TResponse>(TResponse Response, EdgeRoute Route);

/// <summary>What a router has done since it started.</summary>
/// <param name="Edge">Answered on the edge within budget while the cloud was reachable.</param>
/// <param name="Cloud">Answered by the cloud app.</param>
/// <param name="EdgeFallback">Answered on the edge because the cloud was unreachable.</param>
/// <param name="Unserved">Neither the edge (no local capability) nor the cloud (unreachable) could answer.</param>
/// <param name="EdgeOverBudget">Edge answers that took longer than the latency budget (the estimate was optimistic).</param>
/// <param name="CloudUnreachable">Cloud calls that failed as unreachable (timeouts, 502/503/504).</param>
/// <param name="CloudAvailable">Whether the router currently forwards to the cloud (false: edge-only).</param>
public sealed record EdgeRouterStats(
    long Edge, long Cloud, long EdgeFallback, long Unserved, long EdgeOverBudget, long CloudUnreachable, bool CloudAvailable)
{
    public long Served => Edge + Cloud + EdgeFallback;

    /// <summary>Share of served requests answered on the edge (within budget or as fallback).</summary>
    public double EdgeShare => Served == 0 ? 0 : (double)(Edge + EdgeFallback) / Served;
}

/// <summary>Neither the edge node nor the cloud could answer a request.</summary>
public sealed class EdgeUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Edge-first routing for one kind of request. A request is answered on the edge node when the local capability
/// expects to answer it within <see cref="EdgeRouterOptions.LatencyBudget"/> (and the configured edge share is not
/// exceeded); otherwise it is forwarded to the cloud app by service invocation. When the cloud is unreachable
/// (503/502/504, a timeout, a network error) the router answers on the edge and stays edge-only for
/// <see cref="EdgeRouterOptions.CloudRetryInterval"/>; then one request probes the cloud, and the router forwards
/// again once a probe succeeds. Thread-safe; one instance per capability.
/// </summary>
public sealed class EdgeRouter<TRequest, TResponse>
{
    /// <summary>Unused credit beyond this is dropped, so a long run of cloud-only requests cannot be paid back in a burst.</summary>
    private const double MaxCredit = 16;

    private readonly IEdgeCapability<TRequest, TResponse> _capability;
    private readonly IServiceInvoker _cloud;
    private readonly EdgeRouterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HashSet<int> _unreachableStatuses;
    private readonly Lock _gate = new();

    private double _credit;
    private long _cloudDownUntilTicks = long.MinValue;
    private int _probing;
    private long _edge;
    private long _cloudCount;
    private long _fallback;
    private long _unserved;
    private long _overBudget;
    private long _unreachable;

    public EdgeRouter(
        string name,
        IEdgeCapability<TRequest, TResponse> capability,
        IServiceInvoker cloud,
        EdgeRouterOptions options,
        TimeProvider time,
        ILogger logger)
    {
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"Edge router '{name}': {string.Join(" ", problems)}", nameof(options));
        }

        Name = name;
        _capability = capability;
        _cloud = cloud;
        _options = options;
        _time = time;
        _logger = logger;
        _unreachableStatuses = [.. options.UnreachableStatusCodes];
        _credit = options.TargetEdgeShare;
    }

    public string Name { get; }

    /// <summary>False while the router is edge-only (the cloud was unreachable less than the retry interval ago).</summary>
    public bool CloudAvailable => _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _cloudDownUntilTicks);

    public EdgeRouterStats Stats => new(
        Interlocked.Read(ref _edge),
        Interlocked.Read(ref _cloudCount),
        Interlocked.Read(ref _fallback),
        Interlocked.Read(ref _unserved),
        Interlocked.Read(ref _overBudget),
        Interlocked.Read(ref _unreachable),
        CloudAvailable);

    /// <summary>Answers <paramref name="request"/> on the edge or in the cloud, and says where.</summary>
    /// <exception cref="EdgeUnavailableException">The cloud is unreachable and the edge cannot answer this request.</exception>
    /// <exception cref="InvocationException">The cloud answered with an error that is not "unreachable" (e.g. 400).</exception>
    public async Task<EdgeRouted<TResponse>> RouteAsync(TRequest request, CancellationToken cancellationToken = default)
    {
        var estimate = _capability.EstimateLatency(request);
        var withinBudget = estimate is { } expected && expected <= _options.LatencyBudget;

        if (!TryUseCloud(out var probe))
        {
            return await EdgeOnlyAsync(request, estimate, cause: null, cancellationToken).ConfigureAwait(false);
        }

        if (TakeEdgeCredit(withinBudget))
        {
            ReleaseProbe(probe);
            try
            {
                var local = await HandleLocallyAsync(request, EdgeRoute.Edge, cancellationToken).ConfigureAwait(false);
                return new EdgeRouted<TResponse>(local, EdgeRoute.Edge);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // The local capability failed: the cloud is the fallback in this direction too.
                EdgeRouterLog.LocalFailed(_logger, ex, Name);
                if (!TryUseCloud(out probe))
                {
                    throw;
                }

                return await ForwardAsync(request, estimate, probe, allowEdgeFallback: false, cancellationToken).ConfigureAwait(false);
            }
        }

        return await ForwardAsync(request, estimate, probe, allowEdgeFallback: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Answers and returns only the response.</summary>
    public async Task<TResponse> SendAsync(TRequest request, CancellationToken cancellationToken = default) =>
        (await RouteAsync(request, cancellationToken).ConfigureAwait(false)).Response;

    private async Task<EdgeRouted<TResponse>> ForwardAsync(
        TRequest request, TimeSpan? estimate, bool probe, bool allowEdgeFallback, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_options.CloudTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var response = await _cloud.InvokeAsync<TRequest, TResponse>(_options.CloudAppId, _options.CloudMethod, request, linked.Token)
                .WaitAsync(_options.CloudTimeout, _time, cancellationToken)
                .ConfigureAwait(false);

            MarkCloudUp(probe);
            Interlocked.Increment(ref _cloudCount);
            EdgeMetrics.Record(Name, EdgeRoute.Cloud, _time.GetElapsedTime(started));
            return new EdgeRouted<TResponse>(response, EdgeRoute.Cloud);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: that says nothing about the cloud.
            ReleaseProbe(probe);
            throw;
        }
        catch (Exception ex) when (IsUnreachable(ex, cancellationToken))
        {
            Interlocked.Increment(ref _unreachable);
            MarkCloudDown(probe, ex);
            if (!allowEdgeFallback)
            {
                Interlocked.Increment(ref _unserved);
                EdgeMetrics.Unserved(Name);
                throw new EdgeUnavailableException($"Edge router '{Name}': the edge failed and the cloud app '{_options.CloudAppId}' is unreachable.", ex);
            }

            return await EdgeOnlyAsync(request, estimate, ex, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The cloud answered (with an error): it is reachable.
            MarkCloudUp(probe);
            throw;
        }
    }

    private async Task<EdgeRouted<TResponse>> EdgeOnlyAsync(TRequest request, TimeSpan? estimate, Exception? cause, CancellationToken cancellationToken)
    {
        if (estimate is null)
        {
            Interlocked.Increment(ref _unserved);
            EdgeMetrics.Unserved(Name);
            throw new EdgeUnavailableException(
                $"Edge router '{Name}': the cloud app '{_options.CloudAppId}' is unreachable and the edge cannot answer this request.", cause);
        }

        var response = await HandleLocallyAsync(request, EdgeRoute.EdgeFallback, cancellationToken).ConfigureAwait(false);
        return new EdgeRouted<TResponse>(response, EdgeRoute.EdgeFallback);
    }

    private async Task<TResponse> HandleLocallyAsync(TRequest request, EdgeRoute route, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var response = await _capability.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        var elapsed = _time.GetElapsedTime(started);
        if (route == EdgeRoute.Edge)
        {
            Interlocked.Increment(ref _edge);
            if (elapsed > _options.LatencyBudget)
            {
                Interlocked.Increment(ref _overBudget);
            }
        }
        else
        {
            Interlocked.Increment(ref _fallback);
        }

        EdgeMetrics.Record(Name, route, elapsed);
        return response;
    }

    /// <summary>
    /// Credit scheme for the target share: every request routed while the cloud is reachable earns
    /// <see cref="EdgeRouterOptions.TargetEdgeShare"/> credit, whether the edge can answer it or not; keeping a request
    /// on the edge costs 1. Over any run of requests the edge therefore answers the target share of all of them, or
    /// every request it can when it covers less.
    /// </summary>
    private bool TakeEdgeCredit(bool withinBudget)
    {
        lock (_gate)
        {
            _credit = Math.Min(_credit + _options.TargetEdgeShare, MaxCredit);
            if (withinBudget && _credit >= 1 - 1e-9)
            {
                _credit -= 1;
                return true;
            }

            return false;
        }
    }

    /// <summary>
    /// True when this request may go to the cloud. While edge-only, once the retry interval has passed, exactly one
    /// request at a time is let through as a probe (<paramref name="probe"/>); the others stay on the edge.
    /// </summary>
    private bool TryUseCloud(out bool probe)
    {
        probe = false;
        var downUntil = Interlocked.Read(ref _cloudDownUntilTicks);
        if (downUntil == long.MinValue)
        {
            return true;
        }

        if (_time.GetUtcNow().UtcTicks < downUntil)
        {
            return false;
        }

        probe = Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
        return probe;
    }

    private void ReleaseProbe(bool probe)
    {
        if (probe)
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private void MarkCloudUp(bool probe)
    {
        if (Interlocked.Exchange(ref _cloudDownUntilTicks, long.MinValue) != long.MinValue)
        {
            EdgeRouterLog.CloudBack(_logger, Name, _options.CloudAppId);
        }

        ReleaseProbe(probe);
    }

    private void MarkCloudDown(bool probe, Exception cause)
    {
        var until = _time.GetUtcNow().Add(_options.CloudRetryInterval).UtcTicks;
        if (Interlocked.Exchange(ref _cloudDownUntilTicks, until) == long.MinValue)
        {
            EdgeRouterLog.CloudUnreachable(_logger, cause, Name, _options.CloudAppId, _options.CloudRetryInterval);
        }

        ReleaseProbe(probe);
    }

    private bool IsUnreachable(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        OperationCanceledException or TimeoutException or HttpRequestException => true,
        InvocationException invocation => _unreachableStatuses.Contains(invocation.Status) || IsDaprDirectInvokeFailure(invocation),
        _ => false,
    };

    /// <summary>
    /// daprd answers 500 with <c>ERR_DIRECT_INVOKE</c> ("fail to invoke, id: ...") when it cannot reach the target
    /// app's sidecar; that is the network, not the cloud app's answer.
    /// </summary>
    private static bool IsDaprDirectInvokeFailure(InvocationException ex) =>
        ex.Status == 500 && ex.Detail?.StartsWith("fail to invoke", StringComparison.OrdinalIgnoreCase) == true;
}

internal static partial class EdgeRouterLog
{
    [LoggerMessage(1, LogLevel.Warning, "Edge router {Router}: cloud app {AppId} unreachable; answering on the edge only for {RetryInterval}.")]
    public static partial void CloudUnreachable(ILogger logger, Exception cause, string router, string appId, TimeSpan retryInterval);

    [LoggerMessage(2, LogLevel.Information, "Edge router {Router}: cloud app {AppId} reachable again.")]
    public static partial void CloudBack(ILogger logger, string router, string appId);

    [LoggerMessage(3, LogLevel.Warning, "Edge router {Router}: the local capability failed; forwarding to the cloud.")]
    public static partial void LocalFailed(ILogger logger, Exception error, string router);
}

/// <summary>OpenTelemetry metrics (meter <c>Maximus.Edge</c>): requests and latency per router and route.</summary>
internal static class EdgeMetrics
{
    private static readonly System.Diagnostics.Metrics.Meter Meter = new("Maximus.Edge");
    private static readonly System.Diagnostics.Metrics.Counter<long> Requests =
        Meter.CreateCounter<long>("maximus.edge.requests", description: "Requests answered per route (edge, cloud, edgefallback, unserved).");
    private static readonly System.Diagnostics.Metrics.Histogram<double> Duration =
        Meter.CreateHistogram<double>("maximus.edge.duration", unit: "ms", description: "Time to answer per route.");

    public static void Record(string router, EdgeRoute route, TimeSpan elapsed)
    {
        var tags = new TagList { { "router", router }, { "route", route.ToString().ToLowerInvariant() } };
        Requests.Add(1, tags);
        Duration.Record(elapsed.TotalMilliseconds, tags);
    }

    public static void Unserved(string router) =>
        Requests.Add(1, new TagList { { "router", router }, { "route", "unserved" } });
}
