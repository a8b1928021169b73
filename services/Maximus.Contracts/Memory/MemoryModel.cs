using System.Text.Json.Serialization;

namespace Maximus.Contracts.Memory;

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

/// <summary>
/// A fact of semantic memory, bi-temporal: <b>valid time</b> (when it was true in the world) and <b>record time</b>
/// (when memory learned it, and when memory changed its mind). The time fields other than valid time are set by memory;
/// values sent on a write are ignored.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><see cref="ValidFrom"/></term><description>valid time: true from this instant (default: when recorded).</description></item>
/// <item><term><see cref="ValidTo"/></term><description>valid time: true until this instant, exclusive (null: still true). A
/// contradicting fact of a functional predicate sets it to its own <see cref="ValidFrom"/>.</description></item>
/// <item><term><see cref="RecordedAt"/></term><description>record time: when memory learned the fact.</description></item>
/// <item><term><see cref="SupersededAt"/></term><description>record time: when memory learned <see cref="ValidTo"/> from the
/// contradicting fact <see cref="SupersededBy"/>; before it, memory believed the fact open-ended.</description></item>
/// <item><term><see cref="InvalidatedAt"/></term><description>record time: when memory retracted the fact (the invalidate route,
/// or a contradicting fact with the same <see cref="ValidFrom"/>): from then on memory believes it was never true.</description></item>
/// </list>
/// A fact holds at valid time <c>t</c> as known at record time <c>k</c> (<see cref="HoldsAt"/>) when it was recorded by
/// <c>k</c>, not retracted by <c>k</c>, <c>ValidFrom ≤ t</c>, and <c>t &lt; ValidTo</c> unless that end was learned after <c>k</c>.
/// A contradicted fact is closed, not retracted: "as of" queries before the change still return it.
/// </remarks>
/// <param name="Functional">Whether the predicate has one object per subject at a time (a newer object closes the older
/// fact); null: as configured in <see cref="MemoryOptions.FunctionalPredicates"/>.</param>
/// <param name="Supersedes">Ids of the facts this write closed or retracted (set by memory).</param>
public sealed record SemanticFact(
    string Subject,
    string Predicate,
    string Object,
    DateTimeOffset? ValidFrom = null,
    DateTimeOffset? InvalidatedAt = null,
    DateTimeOffset? ValidTo = null,
    DateTimeOffset? RecordedAt = null,
    DateTimeOffset? SupersededAt = null,
    string? SupersededBy = null,
    IReadOnlyList<string>? Supersedes = null,
    bool? Functional = null)
{
    /// <summary>Whether memory, as it knew things at <paramref name="knownAt"/>, believed the fact true at <paramref name="validAt"/>.</summary>
    public bool HoldsAt(DateTimeOffset validAt, DateTimeOffset knownAt) =>
        (RecordedAt is not { } recorded || recorded <= knownAt)
        && (InvalidatedAt is not { } retracted || retracted > knownAt)
        && (ValidFrom is not { } from || from <= validAt)
        && (ValidTo is not { } to || to > validAt || (SupersededAt is { } learned && learned > knownAt));
}

/// <summary>A procedure of procedural memory and its track record.</summary>
public sealed record Procedure(string GoalPattern, IReadOnlyList<string> Steps, int Successes = 0, int Failures = 0)
{
    /// <summary>Laplace-smoothed success rate (summed in double: two counts near int.MaxValue must not overflow).</summary>
    public double SuccessRate => (Successes + 1.0) / ((double)Successes + Failures + 2.0);
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

/// <summary>
/// Writes up to <see cref="MaxEntries"/> entries at once (<c>POST v1/memory/{agent}/entries:batch</c>): every entry is
/// checked first, and one bad entry writes nothing (the problem names each bad field as <c>entries[i].field</c>); the
/// texts without a vector are embedded in one batch and the entries stored in one transaction (a fact of a functional
/// predicate is written after them, on its own, because it may close older facts).
/// </summary>
public sealed record WriteMemoryBatchRequest(IReadOnlyList<WriteMemoryRequest> Entries)
{
    public const int MaxEntries = 1000;
}

/// <summary>The batch's result per entry, in request order.</summary>
public sealed record WriteMemoryBatchResponse(string AgentId, int Written, IReadOnlyList<WrittenEntry> Items);

/// <summary>One written entry of a batch: its position in the request, its id and type, the facts it closed.</summary>
public sealed record WrittenEntry(int Index, string Id, MemoryType Type, IReadOnlyList<string>? Supersedes = null);

/// <summary>Searches an agent's memory. <see cref="Types"/> null: every searchable type, merged by their rankings.</summary>
/// <param name="Active">MIRIX active retrieval: derive a topic from the query and search with both, merged.</param>
/// <param name="Tags">Entries must carry these tags.</param>
/// <param name="AsOf">Valid time for semantic facts: return the facts true at this instant (null: now). Other types are not filtered by it.</param>
/// <param name="KnownAt">Record time for semantic facts: as memory knew them at this instant (null: now; not in the future).</param>
public sealed record SearchMemoryRequest(
    string Query,
    IReadOnlyList<MemoryType>? Types = null,
    int K = 10,
    IReadOnlyDictionary<string, string>? Tags = null,
    bool Active = false,
    float[]? Vector = null,
    DateTimeOffset? AsOf = null,
    DateTimeOffset? KnownAt = null);

/// <summary>A hit: the entry, its ranked score, its raw similarity, and why it is here (e.g. "2 hops from …").</summary>
public sealed record MemoryHit(MemoryEntry Entry, double Score, double Similarity, string? Via = null);

public sealed record SearchMemoryResponse(string AgentId, IReadOnlyList<MemoryHit> Hits, string? Topic, double ElapsedMs);

/// <summary>Records that a procedure was used, and whether it worked.</summary>
public sealed record ProcedureOutcome(bool Succeeded);
