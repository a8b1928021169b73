using Maximus.Contracts.Memory;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Hybrid;

/// <summary>An entry to remember: the memory write, and its place in a conversation (for neighbour context).</summary>
public sealed record HybridDocument(WriteMemoryRequest Request, string? Session = null, int Sequence = 0);

/// <summary>A hybrid hit: entry id, fused score, and the ranks it had in each list (null: not in that list).</summary>
public sealed record HybridHit(string Id, double Score, int? LexicalRank, int? DenseRank, string? Session, int Sequence);

/// <summary>
/// Hybrid retrieval over an agent's memory: BM25 (SQLite FTS5, <see cref="LexicalIndex"/>) and dense similarity (the
/// vector store, filtered by agent) fused by rank or by normalised score; adjacent turns of a session lend each other a
/// share of their score (and the best candidates pull in their neighbours); "when" questions favour entries that
/// mention a time. Entries are written as MIRIX memories through <see cref="AgentMemory"/> and indexed lexically; every
/// hit is checked against the store before it is returned (<see cref="AgentMemory.CurrentAsync"/>): a forgotten, expired
/// or invalidated entry never comes back, whichever list found it.
/// </summary>
public sealed partial class HybridRetriever(
    AgentMemory memory,
    IVectorStore store,
    LexicalIndex lexical,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<MemoryOptions> memoryOptions,
    IOptions<HybridRetrievalOptions> options)
{
    private readonly string _collection = memoryOptions.Value.Collection;

    public HybridRetrievalOptions Options { get; } = options.Value;

    /// <summary>
    /// The one write path of memory (used by <c>/entries</c>, <c>/episodic</c>, <c>/conversations</c> and the lessons
    /// handler): writes the entries as memories of the agent through <see cref="AgentMemory"/> and indexes the text of
    /// the episodic ones lexically. Facts, procedures and resources are recalled by the dense side only.
    /// </summary>
    /// <remarks>
    /// The entries are written as one batch (<see cref="AgentMemory.WriteManyAsync"/>): checked first, embedded in one
    /// call, stored in one transaction. <paramref name="listField"/> names the request's list in errors
    /// (<c>turns[3].text</c>); null for a single entry.
    /// </remarks>
    public async Task<IReadOnlyList<MemoryEntry>> IngestAsync(string agentId, IReadOnlyList<HybridDocument> documents, CancellationToken ct, string? listField = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var entries = await memory.WriteManyAsync(agentId, [.. documents.Select(d => d.Request)], documents.Count == 1 && listField is null ? null : listField ?? "entries", ct)
            .ConfigureAwait(false);

        var episodic = entries.Select((e, i) => (Entry: e, Document: documents[i])).Where(x => x.Entry.Type == MemoryType.Episodic)
            .Select(x => new LexicalDocument(x.Entry.Id, x.Entry.Text, x.Document.Session, x.Document.Sequence, x.Entry.OccurredAt)).ToList();
        if (episodic.Count > 0)
        {
            lexical.Upsert(_collection, agentId, episodic);
        }

        return entries;
    }

    /// <summary>The <paramref name="k"/> best entries of the agent for the query, best first.</summary>
    public async Task<IReadOnlyList<HybridHit>> SearchAsync(string agentId, string query, int k, CancellationToken ct, float[]? queryVector = null)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        if (string.IsNullOrWhiteSpace(query))
        {
            throw ProblemException.Invalid("query", "is required.");
        }

        if (k is < 1 or > VectorSearchRequest.MaxLimit)
        {
            throw ProblemException.Invalid("k", $"must be from 1 to {VectorSearchRequest.MaxLimit}.");
        }

        await memory.EnsureCollectionAsync(ct).ConfigureAwait(false);
        var o = Options;
        var vector = queryVector ?? (await embedder.GenerateAsync([query], cancellationToken: ct).ConfigureAwait(false))[0].Vector.ToArray();
        var filter = VectorFilter.ForAgent(agentId).NotExpired(DateTimeOffset.UtcNow).AndNot(VectorCondition.Match(AgentMemory.ValidKey, "false"));
        var denseHits = await store.SearchAsync(
            _collection, new VectorSearchRequest(vector, Math.Clamp(o.DenseCandidates, 1, VectorSearchRequest.MaxLimit), filter), ct).ConfigureAwait(false);
        var dense = denseHits.Select(h => (Id: EntryId(h.Payload), (double)h.Score)).Where(h => h.Id is not null).Select(h => (h.Id!, h.Item2)).ToList();
        var lexicalHits = lexical.Search(_collection, agentId, query, Math.Max(1, o.LexicalCandidates));

        var fused = Fuse(lexicalHits.Select(h => (h.Id, h.Score)).ToList(), dense, o);
        var placements = lexicalHits.ToDictionary(h => h.Id, h => new LexicalPlacement(h.Id, h.Session, h.Sequence, h.Temporal), StringComparer.Ordinal);
        var unplaced = fused.Keys.Where(id => !placements.ContainsKey(id)).ToList();
        foreach (var (id, place) in lexical.Place(_collection, agentId, unplaced))
        {
            placements[id] = place;
        }

        // Time-aware ranking: "when" questions favour entries that mention a time.
        if (o.TemporalBoost != 0 && IsWhenQuestion(query))
        {
            foreach (var id in fused.Keys.ToList())
            {
                if (placements.TryGetValue(id, out var p) && p.Temporal)
                {
                    fused[id] *= 1 + o.TemporalBoost;
                }
            }
        }

        var final = new Dictionary<string, double>(fused, StringComparer.Ordinal);
        if (o.NeighbourWeight > 0)
        {
            if (o.ExpandNeighbours && o.NeighbourSeeds > 0)
            {
                var seeds = fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(o.NeighbourSeeds)
                    .Select(p => placements.GetValueOrDefault(p.Key)).OfType<LexicalPlacement>().Where(p => p.Session is not null)
                    .SelectMany(p => new[] { (p.Session!, p.Sequence - 1), (p.Session!, p.Sequence + 1) })
                    .Distinct().ToList();
                foreach (var place in lexical.At(_collection, agentId, seeds))
                {
                    if (!placements.ContainsKey(place.Id))
                    {
                        placements[place.Id] = place;
                        final[place.Id] = 0;
                    }
                }
            }

            var bySlot = placements.Values.Where(p => p.Session is not null && fused.ContainsKey(p.Id))
                .ToDictionary(p => (p.Session!, p.Sequence), p => fused[p.Id]);
            foreach (var id in final.Keys.ToList())
            {
                if (placements.TryGetValue(id, out var p) && p.Session is not null)
                {
                    final[id] += o.NeighbourWeight * (bySlot.GetValueOrDefault((p.Session, p.Sequence - 1)) + bySlot.GetValueOrDefault((p.Session, p.Sequence + 1)));
                }
            }
        }

        var lexicalRank = lexicalHits.Select((h, i) => (h.Id, i)).ToDictionary(p => p.Id, p => p.i + 1, StringComparer.Ordinal);
        var denseRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < dense.Count; i++)
        {
            denseRank.TryAdd(dense[i].Item1, i + 1);
        }

        var ranked = final.Where(p => p.Value > 0)
            .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        var kept = await CurrentAsync(agentId, ranked, k, ct).ConfigureAwait(false);
        return [.. kept.Select(p =>
            {
                var place = placements.GetValueOrDefault(p.Key);
                return new HybridHit(
                    p.Key, p.Value,
                    lexicalRank.TryGetValue(p.Key, out var l) ? l : null,
                    denseRank.TryGetValue(p.Key, out var d) ? d : null,
                    place?.Session, place?.Sequence ?? 0);
            })];
    }

    /// <summary>The first <paramref name="k"/> of the ranked candidates that the store still holds as current, in order.</summary>
    private async Task<List<KeyValuePair<string, double>>> CurrentAsync(
        string agentId, List<KeyValuePair<string, double>> ranked, int k, CancellationToken ct)
    {
        var kept = new List<KeyValuePair<string, double>>(k);
        var next = 0;
        while (kept.Count < k && next < ranked.Count)
        {
            var batch = ranked.GetRange(next, Math.Min(k - kept.Count, ranked.Count - next));
            next += batch.Count;
            var current = await memory.CurrentAsync(agentId, [.. batch.Select(p => p.Key)], ct).ConfigureAwait(false);
            kept.AddRange(batch.Where(p => current.ContainsKey(p.Key)));
        }

        return kept;
    }

    /// <summary>
    /// Fuses two ranked lists (best first; each item an id and its score, higher is better) into one score per id.
    /// Reciprocal rank: Σ weight / (k + rank). Normalised score: each list scaled to [0, 1] between its worst and best.
    /// </summary>
    public static Dictionary<string, double> Fuse(
        IReadOnlyList<(string Id, double Score)> lexicalList, IReadOnlyList<(string Id, double Score)> denseList, HybridRetrievalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fused = new Dictionary<string, double>(StringComparer.Ordinal);
        Add(lexicalList, options.LexicalWeight);
        Add(denseList, options.DenseWeight);
        return fused;

        void Add(IReadOnlyList<(string Id, double Score)> list, double weight)
        {
            if (list.Count == 0 || weight == 0)
            {
                return;
            }

            var best = list.Max(x => x.Score);
            var worst = list.Min(x => x.Score);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                var (id, score) = list[i];
                if (!seen.Add(id))
                {
                    continue;
                }

                var value = options.Fusion == FusionMethod.ReciprocalRank
                    ? weight / (options.RrfK + i + 1)
                    : weight * (best > worst ? (score - worst) / (best - worst) : 1.0);
                fused[id] = fused.GetValueOrDefault(id) + value;
            }
        }
    }

    /// <summary>Questions about a time ("when ...", "what date/year/month ...", "how long ago ...").</summary>
    public static bool IsWhenQuestion(string query) => WhenQuestion().IsMatch(query);

    private static string? EntryId(JsonObject? payload) =>
        payload?[AgentMemory.EntryKey] is JsonObject entry && entry["id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : null;

    [GeneratedRegex(@"^\s*when\b|\bwhat (date|day|year|month|time|week)\b|\bhow long ago\b|\bwhich (year|month|day|week)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WhenQuestion();
}
