using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;

namespace Maximus.Reflection;

/// <summary>Turns an execution log into a reflection.</summary>
public interface IReflector
{
    string Name { get; }

    ValueTask<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken);
}

/// <summary>
/// Rule-based reflector: classifies the outcome, extracts error patterns, flags latency anomalies
/// against the running statistics of the same action, and words lessons as "when X, do Y".
/// </summary>
public sealed partial class HeuristicReflector(TimeProvider time) : IReflector
{
    /// <summary>A latency is anomalous above mean + this many standard deviations (after enough samples).</summary>
    public const double AnomalySigmas = 3.0;

    private const int MinSamples = 8;

    private readonly ConcurrentDictionary<string, LatencyStats> _latency = new(StringComparer.Ordinal);

    public string Name => "heuristic";

    public ValueTask<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken) => ValueTask.FromResult(Reflect(log));

    public ReflectionResult Reflect(ExecutionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var actionKind = ActionKind(log.Action);
        var anomaly = _latency.GetOrAdd(actionKind, _ => new LatencyStats()).AddAndCheck(log.DurationMs);
        var patterns = ErrorPatterns(log.Error).ToList();
        var lessons = new List<string>();
        string classification;
        double quality;

        switch (log.Outcome)
        {
            case ActionOutcome.Succeeded when log.Surprise:
                classification = "success-with-surprise";
                quality = 0.7;
                lessons.Add($"When running {actionKind}, observe the state again before the next step: the outcome differed from the prediction.");
                break;
            case ActionOutcome.Succeeded when log.Failures > 0:
                classification = "recovered";
                quality = Math.Max(0.3, 1.0 - (0.1 * log.Failures));
                lessons.Add($"When {actionKind} needs replanning, simulate candidates before executing: {log.Failures} failed attempt(s) preceded success.");
                break;
            case ActionOutcome.Succeeded:
                classification = "success";
                quality = 1.0;
                if (log.Steps > 1)
                {
                    lessons.Add($"When the goal is '{Truncate(log.Observation, 120)}', a {log.Steps}-step plan checked by simulation succeeds.");
                }

                break;
            case ActionOutcome.Rejected:
                classification = "rejected";
                quality = 0.1;
                lessons.Add($"When calling {actionKind}, validate arguments against the plugin manifest first: the plugin rejected the request.");
                break;
            default:
                classification = patterns.Count > 0 ? $"failure:{patterns[0]}" : "failure";
                quality = 0.2;
                lessons.Add(patterns.Contains("precondition")
                    ? $"When {actionKind} fails on a precondition, re-observe the state and replan from it."
                    : $"When {actionKind} fails, retry once and then replan.");
                break;
        }

        if (anomaly)
        {
            quality = Math.Max(0, quality - 0.1);
            lessons.Add($"When {actionKind} takes unusually long ({log.DurationMs:0} ms), check the plugin's health before retrying.");
        }

        return new ReflectionResult(log.LogId, log.MissionId, log.AgentId, classification, Math.Round(quality, 3), lessons, patterns, anomaly, Name, time.GetUtcNow());
    }

    private static string ActionKind(string action)
    {
        var trimmed = action.Trim().TrimStart('(');
        var end = trimmed.IndexOfAny([' ', ')']);
        return end > 0 ? trimmed[..end] : trimmed;
    }

    private static IEnumerable<string> ErrorPatterns(string? error)
    {
        if (string.IsNullOrWhiteSpace(error))
        {
            yield break;
        }

        if (PreconditionPattern().IsMatch(error))
        {
            yield return "precondition";
        }

        if (TimeoutPattern().IsMatch(error))
        {
            yield return "timeout";
        }

        if (UnreachablePattern().IsMatch(error))
        {
            yield return "unreachable";
        }

        if (ArgumentPattern().IsMatch(error))
        {
            yield return "arguments";
        }
    }

    private static string Truncate(string? text, int max) =>
        text is null ? "" : text.Length <= max ? text : text[..max] + "…";

    [GeneratedRegex("precondition|does not hold|not satisfied", RegexOptions.IgnoreCase)]
    private static partial Regex PreconditionPattern();

    [GeneratedRegex("time(d)? ?out|deadline", RegexOptions.IgnoreCase)]
    private static partial Regex TimeoutPattern();

    [GeneratedRegex("unreachable|unavailable|connection|503", RegexOptions.IgnoreCase)]
    private static partial Regex UnreachablePattern();

    [GeneratedRegex("argument|parameter|unknown object|type", RegexOptions.IgnoreCase)]
    private static partial Regex ArgumentPattern();

    /// <summary>Welford's running mean and variance.</summary>
    private sealed class LatencyStats
    {
        private readonly Lock _gate = new();
        private long _n;
        private double _mean;
        private double _m2;

        public bool AddAndCheck(double x)
        {
            lock (_gate)
            {
                var anomalous = _n >= MinSamples && x > _mean + (AnomalySigmas * Math.Sqrt(_m2 / (_n - 1))) && x - _mean > 1.0;
                _n++;
                var delta = x - _mean;
                _mean += delta / _n;
                _m2 += delta * (x - _mean);
                return anomalous;
            }
        }
    }
}
