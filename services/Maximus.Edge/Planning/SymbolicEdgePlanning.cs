using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Planning.Llm;
using Maximus.Planning.Symbolic;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Maximus.Edge.Planning;

/// <summary>
/// What the planner can do on an edge node: the plan cache (a repeated request is answered from the node's earlier
/// answer) and the symbolic planner, for plugins whose actions declare STRIPS effects. Requests that need the LLM
/// planner (<c>planner: llm</c>, or <c>auto</c> over actions without effects) are not answered here
/// (<see cref="EstimateLatency"/> is null): they go to the cloud planner.
/// The estimate is 0 for a cached answer, else the measured average time of the problem's shape (the domain's
/// actions and the number of objects), or <see cref="EdgePlanningOptions.FirstPlanEstimate"/> for a shape not seen yet.
/// The node's symbolic planner searches for shorter plans only briefly after its first
/// (<see cref="EdgePlanningOptions.MinimumExtraSearchTime"/>), so that its answers stay within the latency budget.
/// </summary>
public sealed class SymbolicEdgePlanning : IEdgeCapability<PlanningRequest, PlanningResponse>
{
    private const double AverageWeight = 0.2;

    private readonly SymbolicPlanner _planner;
    private readonly EdgePlanningOptions _options;
    private readonly PlanCache _cache;
    private readonly ConcurrentDictionary<string, double> _shapeMs = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<PlanningRequest, Keys> _keys = [];
    private long _cacheHits;

    public SymbolicEdgePlanning(IOptions<EdgePlanningOptions> options)
    {
        _options = options.Value;
        _planner = new SymbolicPlanner(new SymbolicPlannerOptions(MinimumExtraTimeMs: (int)Math.Ceiling(_options.MinimumExtraSearchTime.TotalMilliseconds)));
        _cache = new PlanCache(_options.PlanCacheCapacity);
    }

    /// <summary>Requests answered from the plan cache since start.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    public TimeSpan? EstimateLatency(PlanningRequest request)
    {
        if (NeedsLlm(request) is not null)
        {
            return null;
        }

        var keys = KeysOf(request);
        if (_cache.Contains(keys.Request))
        {
            return TimeSpan.Zero;
        }

        return _shapeMs.TryGetValue(keys.Shape, out var ms) ? TimeSpan.FromMilliseconds(ms) : _options.FirstPlanEstimate;
    }

    public async Task<PlanningResponse> HandleAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var keys = KeysOf(request);
        if (_cache.TryGet(keys.Request, out var cached))
        {
            Interlocked.Increment(ref _cacheHits);
            return cached with { NodesExpanded = 0, ElapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
        }

        var response = await Task.Run(() => _planner.Plan(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _shapeMs.AddOrUpdate(keys.Shape, elapsed, (_, average) => average + (AverageWeight * (elapsed - average)));

        // Time and node limits depend on the moment; a found plan or a proven dead end does not.
        if (response.Candidates.Count > 0 || response.FailureReason?.StartsWith("goal", StringComparison.Ordinal) == true)
        {
            _cache.Add(keys.Request, response);
        }

        return response;
    }

    /// <summary>Why the edge cannot answer <paramref name="request"/> (it needs the cloud's LLM planner), or null when it can.</summary>
    public static string? NeedsLlm(PlanningRequest request)
    {
        var asked = string.IsNullOrWhiteSpace(request.Planner) ? PlannerRouter.Auto : request.Planner.Trim().ToLowerInvariant();
        if (asked == PlannerRouter.Llm)
        {
            return "the request asks for the LLM planner, which runs in the cloud";
        }

        if (asked != PlannerRouter.Symbolic && !(request.Actions ?? []).Any(a => a.Effects is { Count: > 0 }))
        {
            return "no action of the plugin declares effects, so only the cloud's LLM planner can plan over them";
        }

        return null;
    }

    private Keys KeysOf(PlanningRequest request) => _keys.GetValue(request, r => new Keys(RequestKey(r), ShapeKey(r)));

    /// <summary>What the symbolic planner's answer depends on (not feedback or memories, which only the LLM planner reads).</summary>
    private static string RequestKey(PlanningRequest r) => Hash(new
    {
        r.Actions,
        r.State.Objects,
        Facts = (r.State.Facts ?? []).Select(f => f.ToString()).Order(StringComparer.Ordinal),
        r.Goal,
        Excluded = (r.ExcludedSteps ?? []).Order(StringComparer.Ordinal),
        r.MaxCandidates,
    });

    private static string ShapeKey(PlanningRequest r) => $"{Hash(r.Actions)}:{(r.State.Objects ?? []).Count}";

    private static string Hash<T>(T value) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, MaximusJson.Options)).AsSpan(0, 16));

    private sealed record Keys(string Request, string Shape);

    /// <summary>A bounded map with least-recently-used eviction.</summary>
    private sealed class PlanCache(int capacity)
    {
        private readonly Dictionary<string, LinkedListNode<(string Key, PlanningResponse Value)>> _entries = new(StringComparer.Ordinal);
        private readonly LinkedList<(string Key, PlanningResponse Value)> _order = [];
        private readonly Lock _gate = new();

        public bool Contains(string key)
        {
            lock (_gate)
            {
                return _entries.ContainsKey(key);
            }
        }

        public bool TryGet(string key, out PlanningResponse value)
        {
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var node))
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                    value = node.Value.Value;
                    return true;
                }
            }

            value = null!;
            return false;
        }

        public void Add(string key, PlanningResponse value)
        {
            if (capacity == 0)
            {
                return;
            }

            lock (_gate)
            {
                if (_entries.Remove(key, out var existing))
                {
                    _order.Remove(existing);
                }

                _entries[key] = _order.AddFirst((key, value));
                if (_entries.Count > capacity)
                {
                    var last = _order.Last!;
                    _order.RemoveLast();
                    _entries.Remove(last.Value.Key);
                }
            }
        }
    }
}
