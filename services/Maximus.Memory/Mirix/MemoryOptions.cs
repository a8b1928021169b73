using Maximus.Contracts.Memory;
namespace Maximus.Memory.Mirix;

/// <summary>Per-type lifetime, cache and ranking (section <c>Maximus:Memory</c>).</summary>
public sealed class MemoryOptions
{
    public const string Section = "Maximus:Memory";

    /// <summary>The vector collection of every searchable type (one embedding model per collection).</summary>
    public string Collection { get; set; } = Contracts.Ports.VectorCollections.Memories;

    public Dictionary<MemoryType, TypeOptions> Types { get; set; } = new()
    {
        [MemoryType.Episodic] = new TypeOptions { Ttl = TimeSpan.FromDays(90), RecencyHalfLife = TimeSpan.FromDays(7) },
        [MemoryType.Semantic] = new TypeOptions { Ttl = null },
        [MemoryType.Procedural] = new TypeOptions { Ttl = null },
        [MemoryType.Resource] = new TypeOptions { Ttl = null },
    };

    /// <summary>How many extra candidates per requested hit a typed search fetches before ranking.</summary>
    public int Oversampling { get; set; } = 3;

    /// <summary>Weight of each hop of semantic graph expansion (a 1-hop neighbour scores parent × weight, 2 hops × weight²).</summary>
    public double HopWeight { get; set; } = 0.5;

    /// <summary>Graph expansion depth for semantic facts (0 to 2).</summary>
    public int SemanticHops { get; set; } = 2;

    /// <summary>
    /// Predicates with one object per subject at a time: a new fact (same agent, subject and predicate, another object)
    /// closes the current one. Compared ignoring case, with '_' and ' ' read as '-'. A fact's own
    /// <see cref="SemanticFact.Functional"/> flag overrides this list. Null: <see cref="DefaultFunctionalPredicates"/>
    /// (a configured list replaces the defaults rather than adding to them).
    /// </summary>
    public string[]? FunctionalPredicates { get; set; }

    /// <summary>
    /// Predicates that name one place or state of a thing at a time. Not "is": it names many attributes at once ("is red",
    /// "is heavy"), so closing one by another would lose facts; a fact can still say <c>"functional": true</c>.
    /// </summary>
    public static IReadOnlyList<string> DefaultFunctionalPredicates { get; } =
        ["is-at", "located-in", "is-located-in", "located-at", "has-status", "has-state", "has-value"];

    /// <summary>Whether <paramref name="predicate"/> is functional by configuration.</summary>
    public bool IsFunctional(string predicate) =>
        (FunctionalPredicates ?? DefaultFunctionalPredicates).Any(p => string.Equals(NormalizePredicate(p), NormalizePredicate(predicate), StringComparison.OrdinalIgnoreCase));

    /// <summary>A predicate for comparison: trimmed, '_' and ' ' read as '-'.</summary>
    public static string NormalizePredicate(string predicate) => predicate.Trim().Replace('_', '-').Replace(' ', '-');

    /// <summary>Longest text accepted for one entry.</summary>
    public int MaxTextChars { get; set; } = 16_000;

    public TypeOptions For(MemoryType type) => Types.TryGetValue(type, out var o) ? o : new TypeOptions();
}

public sealed class TypeOptions
{
    /// <summary>Default lifetime of an entry of this type (null: never expires); a write may set its own expiry.</summary>
    public TimeSpan? Ttl { get; set; }

    /// <summary>Recency half-life for ranking (episodic): the recency factor halves every half-life.</summary>
    public TimeSpan? RecencyHalfLife { get; set; }

    /// <summary>Share of the score that recency cannot take away (0: old memories can vanish, 1: no recency).</summary>
    public double RecencyFloor { get; set; } = 0.5;

    /// <summary>Search results kept in the per-agent cache (0: no cache).</summary>
    public int CacheSize { get; set; } = 256;

    /// <summary>How long a cached search result stays valid (a write to the agent's memory invalidates it at once).</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(5);
}
