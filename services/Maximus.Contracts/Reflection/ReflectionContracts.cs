using System.Text.Json.Serialization;
using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Reflection;

[JsonConverter(typeof(JsonStringEnumConverter<ReflectionPriority>))]
public enum ReflectionPriority
{
    /// <summary>Synchronous: the caller waits for the reflection.</summary>
    Critical,

    /// <summary>Fire-and-forget over pub/sub.</summary>
    High,

    /// <summary>Buffered and bulk-published.</summary>
    Batch,
}

/// <summary>What happened when a step (or a whole mission) ran; the reflector's input.</summary>
/// <param name="LogId">Unique id: reflection is idempotent by it.</param>
/// <param name="TraceParent">W3C trace context of the submitter, so the reflection joins its trace.</param>
public sealed record ExecutionLog(
    string LogId,
    string MissionId,
    string AgentId,
    int StepIndex,
    string Action,
    ActionOutcome Outcome,
    double DurationMs,
    DateTimeOffset Timestamp,
    string? Observation = null,
    string? Error = null,
    bool Surprise = false,
    int Steps = 1,
    int Failures = 0,
    ReflectionPriority Priority = ReflectionPriority.High,
    string? TraceParent = null);

/// <summary>The reflector's critique of one log.</summary>
public sealed record ReflectionResult(
    string LogId,
    string MissionId,
    string AgentId,
    string Classification,
    double QualityScore,
    IReadOnlyList<string> Lessons,
    IReadOnlyList<string> ErrorPatterns,
    bool LatencyAnomaly,
    string Reflector,
    DateTimeOffset ReflectedAt);
