using System.Text.Json.Serialization;

namespace Maximus.Contracts.Memory;

/// <summary>
/// The memory service's entry types, as its <c>/entries</c> and <c>/search</c> routes spell them. These wire records are
/// JSON-compatible with the memory service's own (<c>WriteMemoryRequest</c>, <c>SearchMemoryRequest</c>, <c>MemoryEntry</c>),
/// so a caller that does not reference the memory service (missions) can read and write entries.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MemoryEntryType>))]
public enum MemoryEntryType
{
    Core,
    Episodic,
    Semantic,
    Procedural,
    Resource,
    Vault,
}

/// <summary>A semantic fact (subject, predicate, object) with its validity.</summary>
public sealed record MemoryFact(string Subject, string Predicate, string Object, DateTimeOffset? ValidFrom = null, DateTimeOffset? InvalidatedAt = null);

/// <summary>A procedure: a goal pattern, its steps, and its track record.</summary>
public sealed record MemoryProcedure(string GoalPattern, IReadOnlyList<string> Steps, int Successes = 0, int Failures = 0);

/// <summary>One entry of an agent's searchable memory (the memory service's <c>MemoryEntry</c>).</summary>
public sealed record MemoryItem(
    string Id,
    string AgentId,
    MemoryEntryType Type,
    string Text,
    DateTimeOffset CreatedAt,
    DateTimeOffset? OccurredAt = null,
    DateTimeOffset? ExpiresAt = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Actor = null,
    string? Outcome = null,
    MemoryFact? Fact = null,
    MemoryProcedure? Procedure = null);

/// <summary>Writes an entry (<c>POST v1/memory/{agentId}/entries</c>); an explicit id makes the write idempotent.</summary>
public sealed record MemoryItemWrite(
    MemoryEntryType Type,
    string Text,
    string? Id = null,
    DateTimeOffset? OccurredAt = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Actor = null,
    string? Outcome = null,
    MemoryFact? Fact = null,
    MemoryProcedure? Procedure = null);

/// <summary>Searches an agent's memory (<c>POST v1/memory/{agentId}/search</c>); entries must carry every tag given.</summary>
public sealed record MemoryQuery(string Query, IReadOnlyList<MemoryEntryType>? Types = null, int K = 10, IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>A search hit: the entry, its ranked score and raw similarity, and why it is here.</summary>
public sealed record MemoryQueryHit(MemoryItem Entry, double Score, double Similarity, string? Via = null);

public sealed record MemoryQueryResult(string AgentId, IReadOnlyList<MemoryQueryHit> Hits, string? Topic = null, double ElapsedMs = 0);

/// <summary>A use of a procedure and whether it worked (<c>POST v1/memory/{agentId}/entries/{id}/outcomes</c>).</summary>
public sealed record ProcedureUse(bool Succeeded);
