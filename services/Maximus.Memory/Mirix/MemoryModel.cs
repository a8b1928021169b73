using System.Text.Json.Serialization;

namespace Maximus.Memory.Mirix;

/// <summary>The six MIRIX memory types.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MemoryType>))]
public enum MemoryType
{
    /// <summary>Persona and user-facts blocks, always in the prompt (see the core memory actor).</summary>
    Core,

    /// <summary>Time-stamped events: similarity × recency.</summary>
    Episodic,

    /// <summary>Facts (subject, predicate, object) with validity time: similarity plus 1–2 hop expansion.</summary>
    Semantic,

    /// <summary>Skills: goal pattern → steps, ranked by similarity × success rate.</summary>
    Procedural,

    /// <summary>Documents and media, chunked: similarity.</summary>
    Resource,

    /// <summary>Secrets, encrypted, by exact label only (see the vault); never embedded.</summary>
    Vault,
}

/// <summary>A fact of semantic memory; <see cref="InvalidatedAt"/> ends its validity (it is then never returned).</summary>
public sealed record SemanticFact(string Subject, string Predicate, string Object, DateTimeOffset? ValidFrom = null, DateTimeOffset? InvalidatedAt = null);

/// <summary>A procedure of procedural memory and its track record.</summary>
public sealed record Procedure(string GoalPattern, IReadOnlyList<string> Steps, int Successes = 0, int Failures = 0)
{
    /// <summary>Laplace-smoothed success rate.</summary>
    public double SuccessRate => (Successes + 1.0) / (Successes + Failures + 2.0);
}

/// <summary>Where a resource chunk comes from.</summary>
public sealed record ResourceChunk(string Source, int Chunk = 0, int Chunks = 1, string? MediaType = null);

/// <summary>One memory entry of the searchable types (episodic, semantic, procedural, resource).</summary>
public sealed record MemoryEntry(
    string Id,
    string AgentId,
    MemoryType Type,
    string Text,
    DateTimeOffset CreatedAt,
    DateTimeOffset? OccurredAt = null,
    DateTimeOffset? ExpiresAt = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Actor = null,
    string? Outcome = null,
    SemanticFact? Fact = null,
    Procedure? Procedure = null,
    ResourceChunk? Resource = null);

/// <summary>Writes an entry; an explicit <see cref="Id"/> makes the write idempotent (a rewrite replaces it).</summary>
/// <param name="Vector">A precomputed embedding (its dimension is checked); otherwise the text is embedded.</param>
public sealed record WriteMemoryRequest(
    MemoryType Type,
    string Text,
    string? Id = null,
    DateTimeOffset? OccurredAt = null,
    DateTimeOffset? ExpiresAt = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Actor = null,
    string? Outcome = null,
    SemanticFact? Fact = null,
    Procedure? Procedure = null,
    ResourceChunk? Resource = null,
    float[]? Vector = null);

/// <summary>Searches an agent's memory. <see cref="Types"/> null: every searchable type, merged by their rankings.</summary>
/// <param name="Active">MIRIX active retrieval: derive a topic from the query and search with both, merged.</param>
/// <param name="Tags">Entries must carry these tags.</param>
public sealed record SearchMemoryRequest(
    string Query,
    IReadOnlyList<MemoryType>? Types = null,
    int K = 10,
    IReadOnlyDictionary<string, string>? Tags = null,
    bool Active = false,
    float[]? Vector = null);

/// <summary>A hit: the entry, its ranked score, its raw similarity, and why it is here (e.g. "2 hops from …").</summary>
public sealed record MemoryHit(MemoryEntry Entry, double Score, double Similarity, string? Via = null);

public sealed record SearchMemoryResponse(string AgentId, IReadOnlyList<MemoryHit> Hits, string? Topic, double ElapsedMs);

/// <summary>Records that a procedure was used, and whether it worked.</summary>
public sealed record ProcedureOutcome(bool Succeeded);
