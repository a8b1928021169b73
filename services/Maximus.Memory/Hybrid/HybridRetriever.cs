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
/// Where an entry sits in its conversation (from its payload), and what ranking may ask of it: whether its text mentions a
/// time, its entities, its own text. Those three are read off the payload when first asked for (most candidates of a
/// query are never asked: the time test runs for "when" questions only, the entities for the second hop only).
/// </summary>
public sealed class TurnPlacement(string id, string? session, int sequence, JsonObject payload)
{
    private string? _text;
    private bool? _temporal;
    private bool? _asks;
    private int _words = -1;
    private IReadOnlyList<string>? _entities;

    /// <summary>The entry's id.</summary>
    public string Id => id;

    /// <summary>The entry's session (<see cref="AgentMemory.SessionKey"/>); null for an entry that is not a turn.</summary>
    public string? Session => session;

    /// <summary>The entry's place in its session (<see cref="AgentMemory.SequenceKey"/>).</summary>
    public int Sequence => sequence;

    /// <summary>Whether the entry's own text mentions a time (<see cref="HybridRetriever.MentionsTime"/>, as written: <see cref="AgentMemory.MentionsTimeKey"/>).</summary>
    public bool Temporal => _temporal ??= Flag(AgentMemory.MentionsTimeKey) ?? HybridRetriever.MentionsTime(Text);

    /// <summary>Who said or did the entry (its actor: a turn's speaker); null when it names none.</summary>
    public string? Actor => (payload.TryGetPropertyValue(AgentMemory.ActorKey, out var actor) ? actor : payload[AgentMemory.EntryKey]?["actor"])
        is JsonValue a && a.TryGetValue<string>(out var x) ? x : null;

    /// <summary>Whether the entry's own text ends by asking (<see cref="HybridRetriever.EndsAsking"/>, as written: <see cref="AgentMemory.AsksKey"/>).</summary>
    public bool Asks => _asks ??= Flag(AgentMemory.AsksKey) ?? HybridRetriever.EndsAsking(Text);

    /// <summary>How many words the entry's own text holds (<see cref="HybridRetriever.WordCount"/>, as written: <see cref="AgentMemory.WordsKey"/>).</summary>
    public int Words => _words >= 0
        ? _words
        : _words = payload[AgentMemory.WordsKey] is JsonValue w && w.TryGetValue<int>(out var count) ? count : HybridRetriever.WordCount(Text);

    /// <summary>The entities in the entry's payload (<see cref="AgentMemory.EntitiesKey"/>).</summary>
    public IReadOnlyList<string> Entities => _entities ??= payload[AgentMemory.EntitiesKey] is JsonArray entities
        ? [.. entities.Select(e => e is JsonValue v && v.TryGetValue<string>(out var x) ? x : null).OfType<string>()]
        : [];

    /// <summary>The entry's own text (without its context); read only for a payload written without the flags above.</summary>
    public string Text => _text ??= AgentMemory.TextOf(payload) ?? "";

    private bool? Flag(string key) => payload[key] is JsonValue v && v.TryGetValue<bool>(out var flag) ? flag : null;
}

/// <summary>
/// Hybrid retrieval over an agent's memory, through the vector store port only: BM25 keyword search
/// (<see cref="IVectorStore.SearchTextAsync"/> over the entries' text) and dense similarity (<see cref="IVectorStore.SearchAsync"/>),
/// both filtered by agent, fused by rank or by normalised score; adjacent turns of a session lend each other a share of
/// their score (and the best candidates pull in their neighbours, fetched by the indexed <see cref="AgentMemory.PlaceKey"/>);
/// "when" questions favour entries that mention a time; a question that names a time ("in May 2023", "last week",
/// <see cref="TimeExpressions"/>) adds the same two searches restricted to the entries of that window (a range on the
/// indexed <see cref="AgentMemory.OccurredAtKey"/>, the session's date); the candidates of a session that scores high as
/// a whole gain a share of its score (the session as one retrievable unit); an optional second hop searches the entries
/// that share an entity (<see cref="EntityExtractor"/>, indexed <see cref="AgentMemory.EntitiesKey"/>) with the best
/// first-hop ones. Entries are written as MIRIX memories through
/// <see cref="AgentMemory"/>, their place in the conversation in their payload; every hit is checked against the store
/// before it is returned (<see cref="AgentMemory.CurrentAsync"/>): a forgotten, expired or invalidated entry never comes
/// back, whichever list found it. Nothing is kept outside the vector store, so every replica answers alike.
/// </summary>
public sealed partial class HybridRetriever(
    AgentMemory memory,
    IVectorStore store,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<MemoryOptions> memoryOptions,
    IOptions<HybridRetrievalOptions> options)
{
    private static readonly string Episodic = MemoryType.Episodic.ToString().ToLowerInvariant();

    private readonly string _collection = memoryOptions.Value.Collection;

    public HybridRetrievalOptions Options { get; } = options.Value;

    /// <summary>
    /// The one write path of memory (used by <c>/entries</c>, <c>/episodic</c>, <c>/conversations</c> and the lessons
    /// handler): writes the entries as memories of the agent through <see cref="AgentMemory"/>, the place of episodic
    /// ones in their conversation in the payload. The vector store indexes every entry's text for keyword search in the
    /// same write; recall's keyword side searches the episodic ones (facts, procedures and resources are recalled by the
    /// dense side only).
    /// </summary>
    /// <remarks>
    /// The entries are written as one batch (<see cref="AgentMemory.WriteManyAsync(string, IReadOnlyList{WriteMemoryRequest}, IReadOnlyList{ValueTuple{string, int, string, string}}, string, CancellationToken)"/>):
    /// checked first, embedded in one call, stored in one transaction. <paramref name="listField"/> names the request's
    /// list in errors (<c>turns[3].text</c>); null for a single entry.
    /// </remarks>
    public async Task<IReadOnlyList<MemoryEntry>> IngestAsync(string agentId, IReadOnlyList<HybridDocument> documents, CancellationToken ct, string? listField = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        EpisodicMemoryStore.ValidateAgent(agentId);
        // Ids the caller gave: only those can name an entry written before, whose successor may hold its old text.
        var given = documents.Select(d => d.Request?.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (Options.KeywordContext)
        {
            // Turns get their ids here, so that the turn after one can name the entry its context comes from.
            documents = [.. documents.Select(d => d.Request is { Type: MemoryType.Episodic, Id: null } && d.Session is not null
                ? d with { Request = d.Request with { Id = Guid.NewGuid().ToString("N") } }
                : d)];
        }

        var contexts = Options.KeywordContext ? await ContextsAsync(agentId, documents, ct).ConfigureAwait(false) : new (string Text, string From)?[documents.Count];
        var written = await memory.WriteManyAsync(
            agentId,
            [.. documents.Select(d => d.Request)],
            [.. documents.Select((d, i) => (d.Session, d.Sequence, contexts[i]?.Text, contexts[i]?.From))],
            documents.Count == 1 && listField is null ? null : listField ?? "entries",
            ct).ConfigureAwait(false);
        if (Options.KeywordContext && written.Where(e => given.Contains(e.Id)).ToList() is { Count: > 0 } rewritten)
        {
            // A rewritten turn: the turn after it holds its old text as context. A new id has no successor holding it.
            await memory.RefreshContextsAsync(agentId, rewritten, ct).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>
    /// The keyword context of each document (<see cref="HybridRetrievalOptions.KeywordContext"/>): the text of the turn
    /// before it in its session (sequence − 1), from the same batch or else from the store (one filtered scroll); null for
    /// an entry that is not an episodic turn, the first turn of a session, or one whose previous turn is not known.
    /// </summary>
    private async Task<(string Text, string From)?[]> ContextsAsync(string agentId, IReadOnlyList<HybridDocument> documents, CancellationToken ct)
    {
        var contexts = new (string Text, string From)?[documents.Count];
        var inBatch = new Dictionary<(string, int), (string, string)>();
        foreach (var d in documents)
        {
            if (d.Request is { Type: MemoryType.Episodic, Text: { } text, Id: { } id } && d.Session is not null)
            {
                inBatch[(d.Session, d.Sequence)] = (text, id);
            }
        }

        var missing = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Count; i++)
        {
            var d = documents[i];
            if (d.Request is not { Type: MemoryType.Episodic } || d.Session is null || d.Sequence <= 1)
            {
                continue;
            }

            if (inBatch.TryGetValue((d.Session, d.Sequence - 1), out var previous))
            {
                contexts[i] = previous;
            }
            else
            {
                var place = AgentMemory.Place(d.Session, d.Sequence - 1);
                if (!missing.TryGetValue(place, out var waiting))
                {
                    missing[place] = waiting = [];
                }

                waiting.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            await memory.EnsureCollectionAsync(ct).ConfigureAwait(false);
            foreach (var found in await AtAsync(agentId, [.. missing.Keys], ct, withText: true).ConfigureAwait(false))
            {
                if (found.Session is not null && missing.TryGetValue(AgentMemory.Place(found.Session, found.Sequence), out var waiting) && found.Text.Length > 0)
                {
                    foreach (var i in waiting)
                    {
                        contexts[i] = (found.Text, found.Id);
                    }
                }
            }
        }

        return contexts;
    }

    /// <summary>
    /// The <paramref name="k"/> best entries of the agent for the query, best first. <paramref name="asOf"/> is the time
    /// the question is asked at (relative times such as "last week" count from it; default now).
    /// </summary>
    public async Task<IReadOnlyList<HybridHit>> SearchAsync(
        string agentId, string query, int k, CancellationToken ct, float[]? queryVector = null, DateTimeOffset? asOf = null)
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
        var filter = VectorFilter.ForAgent(agentId).NotExpired(DateTimeOffset.UtcNow).AndNot(VectorCondition.Match(AgentMemory.ValidKey, "false"));
        var placements = new Dictionary<string, TurnPlacement>(StringComparer.Ordinal);

        // The keyword hits first: the speakers among them tell whether the question is about one of them, and such a question
        // is embedded in that speaker's voice (Voiced), and as asked too when that adds a share (in the same call). The
        // keyword search keeps the question's own words.
        var (lexicalHits, _) = Note(await BothAsync(query, [], filter, o.LexicalCandidates, 0, ct).ConfigureAwait(false), placements);
        float[] vector;
        float[]? asAsked = null;
        if (queryVector is not null)
        {
            vector = queryVector;
        }
        else
        {
            var voiced = o.FirstPersonQuery && NamedSpeaker(query, lexicalHits.Select(h => h.Place)) is { } speaker ? Voiced(query, speaker) : null;
            var embedded = await embedder.GenerateAsync(
                voiced is null ? [query] : o.AsAskedWeight > 0 ? [voiced, query] : [voiced], QueryEmbedding.Options(), ct).ConfigureAwait(false);
            vector = embedded[0].Vector.ToArray();
            asAsked = embedded.Count > 1 ? embedded[1].Vector.ToArray() : null;
        }

        // A time window named by the question ("in May 2023", "last week"): the entries of that time, found by the same two
        // searches restricted to it (sent before the unrestricted dense one), add their share (a boost, never a filter:
        // the window may be wrong).
        var windowSearch = o.TimeWindowWeight > 0 && TimeExpressions.Parse(query, asOf ?? DateTimeOffset.UtcNow) is { } window
            ? BothAsync(query, vector, filter.And(WindowRange(window, o)), o.WindowCandidates, o.WindowCandidates, ct)
            : null;
        var (_, dense) = Note(await BothAsync(query, vector, filter, 0, o.DenseCandidates, ct).ConfigureAwait(false), placements);
        var fused = Fuse([.. lexicalHits.Select(h => (h.Id, h.Score))], [.. dense.Select(h => (h.Id, h.Score))], o);
        if (asAsked is not null)
        {
            var (_, denseAsAsked) = Note(await BothAsync(query, asAsked, filter, 0, o.DenseCandidates, ct).ConfigureAwait(false), placements);
            Add(fused, Fuse([], [.. denseAsAsked.Select(h => (h.Id, h.Score))], o), o.AsAskedWeight);
        }

        if (windowSearch is not null)
        {
            var (lw, dw) = Note(await windowSearch.ConfigureAwait(false), placements);
            Add(fused, Fuse([.. lw.Select(h => (h.Id, h.Score))], [.. dw.Select(h => (h.Id, h.Score))], o), o.TimeWindowWeight);
        }

        // Second hop (multi-hop questions): entries that share an entity with the first hop's best ones, other than the
        // question's own entities and the entities common among the candidates (a speaker's name is in half of them).
        if (o.EntityHopWeight > 0 && o.EntitySeeds > 0)
        {
            var hop = HopEntities(query, fused, placements, o);
            if (hop.Count > 0)
            {
                var (lh, dh) = Note(
                    await BothAsync(query, vector, filter.And(VectorCondition.MatchAny(AgentMemory.EntitiesKey, hop)), o.EntityHopCandidates, o.EntityHopCandidates, ct)
                        .ConfigureAwait(false),
                    placements);
                Add(fused, Fuse([.. lh.Select(h => (h.Id, h.Score))], [.. dh.Select(h => (h.Id, h.Score))], o), o.EntityHopWeight);
            }
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
                // Only the neighbours no list found are fetched (those found are already candidates).
                var known = placements.Values.Where(p => p.Session is not null).Select(p => AgentMemory.Place(p.Session!, p.Sequence)).ToHashSet(StringComparer.Ordinal);
                var seeds = fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(o.NeighbourSeeds)
                    .Select(p => placements.GetValueOrDefault(p.Key)).OfType<TurnPlacement>().Where(p => p.Session is not null)
                    .SelectMany(p => new[] { AgentMemory.Place(p.Session!, p.Sequence - 1), AgentMemory.Place(p.Session!, p.Sequence + 1) })
                    .Where(place => !known.Contains(place))
                    .Distinct(StringComparer.Ordinal).ToList();
                foreach (var place in await AtAsync(agentId, seeds, ct).ConfigureAwait(false))
                {
                    if (!placements.ContainsKey(place.Id))
                    {
                        placements[place.Id] = place;
                        final[place.Id] = 0;
                    }
                }
            }

            // A question's answer is the turn after it: that turn gains a further share of the question's score.
            var bySlot = new Dictionary<(string, int), (double Score, bool Asks)>();
            foreach (var p in placements.Values.Where(p => p.Session is not null && fused.ContainsKey(p.Id)))
            {
                bySlot[(p.Session!, p.Sequence)] = (fused[p.Id], o.AnswerShare != 0 && p.Asks);
            }

            foreach (var id in final.Keys.ToList())
            {
                if (placements.TryGetValue(id, out var p) && p.Session is not null)
                {
                    var before = bySlot.GetValueOrDefault((p.Session, p.Sequence - 1));
                    final[id] += (o.NeighbourWeight * (before.Score + bySlot.GetValueOrDefault((p.Session, p.Sequence + 1)).Score))
                        + (before.Asks ? o.AnswerShare * before.Score : 0);
                }
            }
        }

        // Session prior: an entry of a session whose candidates score high as a whole gains a share of the session's best
        // scores (the session as one unit, like an extractive summary pointing to its turns).
        if (o.SessionWeight > 0)
        {
            var bySession = fused.Select(p => (Session: placements.GetValueOrDefault(p.Key)?.Session, p.Value))
                .Where(p => p.Session is not null)
                .GroupBy(p => p.Session!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(p => p.Value).OrderDescending().Take(o.SessionTop).Sum(), StringComparer.Ordinal);
            var best = bySession.Count == 0 ? 0 : bySession.Values.Max();
            if (best > 0)
            {
                foreach (var id in final.Keys.ToList())
                {
                    if (placements.TryGetValue(id, out var p) && p.Session is not null && bySession.TryGetValue(p.Session, out var sessionScore))
                    {
                        final[id] += o.SessionWeight * sessionScore / best;
                    }
                }
            }
        }

        // Priors of a conversation turn: one that ends by asking tells less; a longer one tells more; one said by a person the
        // question names is more likely about what it asks.
        if (o.AskingTurnWeight != 1 || o.LengthPrior != 0 || o.NamedSpeakerBoost != 0)
        {
            var named = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var id in final.Keys.ToList())
            {
                if (placements.TryGetValue(id, out var p) && p.Session is not null)
                {
                    var speakerNamed = o.NamedSpeakerBoost != 0 && p.Actor is { } actor
                        && (named.TryGetValue(actor, out var known) ? known : named[actor] = NamesSpeaker(query, actor));
                    final[id] *= (p.Asks ? o.AskingTurnWeight : 1)
                        * (o.LengthPrior == 0 ? 1 : Math.Pow(Math.Clamp(p.Words, 3, 80) / o.LengthPriorWords, o.LengthPrior))
                        * (speakerNamed ? 1 + o.NamedSpeakerBoost : 1);
                }
            }
        }

        var lexicalRank = Ranks(lexicalHits);
        var denseRank = Ranks(dense);
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

    /// <summary>
    /// The payload keys a candidate's place and priors are read from (<see cref="TurnPlacement"/>): its session and place in
    /// it, its actor and entities, and what its text tells the priors (words, asking, a time), written with it. The searches
    /// ask for these only (<see cref="VectorSearchRequest.PayloadKeys"/>): ~100 bytes of a payload of ~1.6 KB (the entry,
    /// and the text three times over in the keyword text and its context) on the LoCoMo development file, for ~250 hits a
    /// question.
    /// </summary>
    private static readonly string[] PlaceKeys =
        [
            AgentMemory.SessionKey, AgentMemory.SequenceKey, AgentMemory.ActorKey, AgentMemory.EntitiesKey,
            AgentMemory.WordsKey, AgentMemory.AsksKey, AgentMemory.MentionsTimeKey,
        ];

    /// <summary><see cref="PlaceKeys"/> and the entry's own text: its keyword text and the context before it (<see cref="AgentMemory.OwnText"/>).</summary>
    private static readonly string[] PlaceAndTextKeys = [.. PlaceKeys, VectorPayloadKeys.Text, AgentMemory.ContextKey];

    /// <summary>The lexical (episodic entries) and dense searches under one filter, sent together.</summary>
    private async Task<(List<(string Id, double Score, TurnPlacement Place)> Lexical, List<(string Id, double Score, TurnPlacement Place)> Dense)> BothAsync(
        string query, float[] vector, VectorFilter filter, int lexicalLimit, int denseLimit, CancellationToken ct)
    {
        var denseSearch = denseLimit <= 0
            ? Task.FromResult<IReadOnlyList<VectorSearchHit>>([])
            : store.SearchAsync(_collection, new VectorSearchRequest(vector, Math.Clamp(denseLimit, 1, VectorSearchRequest.MaxLimit), filter) { PayloadKeys = PlaceKeys }, ct);
        var lexicalSearch = lexicalLimit <= 0
            ? Task.FromResult<IReadOnlyList<VectorSearchHit>>([])
            : store.SearchTextAsync(
                _collection,
                new VectorTextSearchRequest(query, Math.Clamp(lexicalLimit, 1, VectorSearchRequest.MaxLimit), filter.OfTypes(Episodic)) { PayloadKeys = PlaceKeys },
                ct);
        var dense = await EntriesAsync([.. (await denseSearch.ConfigureAwait(false)).Select(h => (h.Id, h.Score, h.Payload))], ct).ConfigureAwait(false);
        return (await EntriesAsync([.. (await lexicalSearch.ConfigureAwait(false)).Select(h => (h.Id, h.Score, h.Payload))], ct).ConfigureAwait(false), dense);
    }

    /// <summary>Notes the places of the hits (first seen wins) and passes the lists on.</summary>
    private static (List<(string Id, double Score, TurnPlacement Place)> Lexical, List<(string Id, double Score, TurnPlacement Place)> Dense) Note(
        (List<(string Id, double Score, TurnPlacement Place)> Lexical, List<(string Id, double Score, TurnPlacement Place)> Dense) lists,
        Dictionary<string, TurnPlacement> placements)
    {
        foreach (var hit in lists.Lexical.Concat(lists.Dense))
        {
            placements.TryAdd(hit.Id, hit.Place);
        }

        return lists;
    }

    /// <summary>The range of entry times a window covers, widened by the slack settings (an open side stays open).</summary>
    private static RangeCondition WindowRange(TimeWindow window, HybridRetrievalOptions o) => VectorCondition.Range(
        AgentMemory.OccurredAtKey,
        gte: window.Start is { } s ? (s - TimeSpan.FromDays(o.TimeWindowSlackBeforeDays)).ToUnixTimeMilliseconds() : null,
        lt: window.End is { } e ? (e + TimeSpan.FromDays(o.TimeWindowSlackAfterDays)).ToUnixTimeMilliseconds() : null);

    /// <summary>Adds <paramref name="weight"/> × each score of <paramref name="more"/> to <paramref name="scores"/>.</summary>
    private static void Add(Dictionary<string, double> scores, Dictionary<string, double> more, double weight)
    {
        foreach (var (id, score) in more)
        {
            scores[id] = scores.GetValueOrDefault(id) + weight * score;
        }
    }

    /// <summary>
    /// The entities of the best first-hop candidates, without the question's own and without those found in more than
    /// <see cref="HybridRetrievalOptions.CommonEntityShare"/> of all candidates.
    /// </summary>
    private static List<string> HopEntities(string query, Dictionary<string, double> fused, Dictionary<string, TurnPlacement> placements, HybridRetrievalOptions o)
    {
        var own = EntityExtractor.Extract(query).ToHashSet(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var id in fused.Keys)
        {
            if (placements.TryGetValue(id, out var p))
            {
                total++;
                foreach (var entity in p.Entities)
                {
                    counts[entity] = counts.GetValueOrDefault(entity) + 1;
                }
            }
        }

        return [.. fused.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Take(o.EntitySeeds)
            .SelectMany(p => placements.TryGetValue(p.Key, out var place) ? place.Entities : [])
            .Where(e => !own.Contains(e) && counts.GetValueOrDefault(e) <= o.CommonEntityShare * total)
            .Distinct(StringComparer.Ordinal)
            .Take(o.MaxHopEntities)];
    }

    /// <summary>
    /// The agent's entries at these places (<see cref="AgentMemory.Place"/> values): one filtered scroll on indexed keys;
    /// <paramref name="withText"/> reads their own text too (<see cref="TurnPlacement.Text"/>: a turn's context when written).
    /// </summary>
    private async Task<List<TurnPlacement>> AtAsync(string agentId, List<string> places, CancellationToken ct, bool withText = false)
    {
        var found = new List<TurnPlacement>();
        if (places.Count == 0)
        {
            return found;
        }

        var filter = VectorFilter.ForAgent(agentId).And(VectorCondition.MatchAny(AgentMemory.PlaceKey, places));
        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(
                    _collection, new VectorScrollRequest(Math.Min(VectorScrollRequest.MaxLimit, places.Count * 2), filter, cursor) { PayloadKeys = withText ? PlaceAndTextKeys : PlaceKeys },
                    ct)
                .ConfigureAwait(false);
            found.AddRange((await EntriesAsync([.. page.Records.Select(r => (r.Id, 0f, (JsonObject?)r.Payload))], ct).ConfigureAwait(false)).Select(h => h.Place));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return found;
    }

    /// <summary>
    /// The points that hold an entry, by entry id (the point's id holds it: <see cref="AgentMemory.EntryIdOf"/>), with their
    /// places read off their <see cref="PlaceKeys"/>. A point written before payloads carried <see cref="AgentMemory.ActorKey"/>
    /// (or one that is not an entry) is read whole, in one call for all such points, and placed from its entry as before.
    /// </summary>
    private async Task<List<(string Id, double Score, TurnPlacement Place)>> EntriesAsync(List<(string Point, float Score, JsonObject? Payload)> hits, CancellationToken ct)
    {
        static bool Placeable(JsonObject? payload) => payload?.ContainsKey(AgentMemory.ActorKey) == true;
        var older = hits.Where(h => !Placeable(h.Payload)).Select(h => h.Point).ToList();
        var whole = older.Count == 0
            ? []
            : (await store.GetAsync(_collection, older, withVectors: false, ct).ConfigureAwait(false)).ToDictionary(r => r.Id, r => r.Payload, StringComparer.Ordinal);
        var entries = new List<(string Id, double Score, TurnPlacement Place)>(hits.Count);
        foreach (var (point, score, payload) in hits)
        {
            if (Placeable(payload))
            {
                var id = AgentMemory.EntryIdOf(point);
                entries.Add((id, score, Placement(id, payload!)));
            }
            else if (whole.TryGetValue(point, out var read) && EntryId(read) is { } entryId)
            {
                entries.Add((entryId, score, Placement(entryId, read)));
            }
        }

        return entries;
    }

    private static Dictionary<string, int> Ranks(List<(string Id, double Score, TurnPlacement Place)> hits)
    {
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < hits.Count; i++)
        {
            ranks.TryAdd(hits[i].Id, i + 1);
        }

        return ranks;
    }

    private static TurnPlacement Placement(string id, JsonObject payload) => new(
        id,
        payload[AgentMemory.SessionKey] is JsonValue session && session.TryGetValue<string>(out var s) ? s : null,
        payload[AgentMemory.SequenceKey] is JsonValue sequence && sequence.TryGetValue<int>(out var q) ? q : 0,
        payload);

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

    /// <summary>
    /// Whether a text's last sentence is a question: it ends with '?', a bracketed note at its end (a shared photo's caption)
    /// aside.
    /// </summary>
    public static bool EndsAsking(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var end = text.AsSpan().TrimEnd();
        if (end.EndsWith("]") && end.LastIndexOf('[') is var open and > 0)
        {
            end = end[..open].TrimEnd();
        }

        return end.EndsWith("?");
    }

    /// <summary>
    /// Whether the query names the speaker: a word of the speaker's name (two letters or more) is a word of the query, case
    /// aside, both cut by <see cref="EntityExtractor.Words"/> ("Caroline" in "What did Caroline's group do?").
    /// </summary>
    public static bool NamesSpeaker(string query, string speaker)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(speaker);
        var names = EntityExtractor.Words(speaker).Where(w => w.Length >= 2).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return names.Count > 0 && EntityExtractor.Words(query).Any(names.Contains);
    }

    /// <summary>The one speaker among the candidate turns' that the query names (<see cref="NamesSpeaker"/>); null for none or several.</summary>
    private static string? NamedSpeaker(string query, IEnumerable<TurnPlacement> candidates)
    {
        string? named = null;
        foreach (var actor in candidates.Where(p => p.Session is not null).Select(p => p.Actor).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (NamesSpeaker(query, actor))
            {
                if (named is not null)
                {
                    return null;
                }

                named = actor;
            }
        }

        return named;
    }

    /// <summary>
    /// The question as the dense side asks it when it is about one speaker: in that speaker's voice
    /// (<see cref="InFirstPerson"/>), their name after it ("What has Melanie painted?" → "What has I painted? Melanie"). A
    /// person's turns say "I" and "my", not their name, so the voice brings the question nearer them; the name keeps it near
    /// the conversation they are in (without it, among 100k other turns, recall fell: R@25 0.862 against 0.881).
    /// </summary>
    public static string Voiced(string query, string speaker) => $"{InFirstPerson(query, speaker)} {speaker}";

    /// <summary>
    /// The query as the speaker would ask it of themself: each word of the speaker's name (two letters or more, case aside)
    /// becomes "I", and its possessive ("Caroline's", "Caroline’s") "my"; the rest is left as it is ("What did Caroline's
    /// friend give Caroline?" → "What did my friend give I?": grammar does not matter to the embedding, the person does).
    /// </summary>
    public static string InFirstPerson(string query, string speaker)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(speaker);
        var names = EntityExtractor.Words(speaker).Where(w => w.Length >= 2).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return EntityExtractor.ReplaceWords(query, (word, possessive) => names.Contains(word) ? possessive ? "my" : "I" : null);
    }

    /// <summary>
    /// What a speaker said, as another would tell it: in <paramref name="said"/> each first-person word of the speaker ("I",
    /// "me", "myself"; "my", "mine"; "I'm", "I've", "I'd", "I'll", case aside, ' or ’) becomes their name ("Melanie: I painted
    /// my lake" → "Melanie: Melanie painted Melanie's lake"). A turn is embedded so (<see cref="AgentMemory.EmbeddingText(MemoryEntry)"/>):
    /// a question about a person names them, and their own turns then say it too. "We", "you" and the rest are left as
    /// they are (who "you" is was tried as the other speaker: LoCoMo development R@25 fell 0.909 → 0.906).
    /// </summary>
    public static string InThirdPerson(string said, string speaker)
    {
        ArgumentNullException.ThrowIfNull(said);
        ArgumentException.ThrowIfNullOrWhiteSpace(speaker);
        return EntityExtractor.ReplaceWords(said, (word, possessive) => possessive ? null : word.Replace('’', '\'').ToLowerInvariant() switch
        {
            "i" or "me" or "myself" => speaker,
            "my" or "mine" => speaker + "'s",
            "i'm" => speaker + " is",
            "i've" => speaker + " has",
            "i'd" => speaker + " would",
            "i'll" => speaker + " will",
            _ => null,
        });
    }

    /// <summary>The number of whitespace-separated words in a text.</summary>
    public static int WordCount(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var space = char.IsWhiteSpace(c);
            words += !space && !inWord ? 1 : 0;
            inWord = !space;
        }

        return words;
    }

    /// <summary>
    /// Whether a text mentions a time: a word such as "yesterday", "ago", "recently", a weekday, a month, "week(s)",
    /// "month(s)", "year(s)", a year 19xx/20xx, or "last night/weekend/summer/…", "next weekend", "this morning/…" (case aside).
    /// Candidates for "when" questions. One pass over the words: it runs on every candidate of such a question (~150), where
    /// the regular expression it replaces (kept in the tests as the reference) cost ~0.2 ms more a question.
    /// </summary>
    public static bool MentionsTime(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        ReadOnlySpan<char> previous = default;
        var previousEnd = -2;
        for (var i = 0; i < span.Length;)
        {
            if (!IsWordChar(span[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < span.Length && IsWordChar(span[i]))
            {
                i++;
            }

            var word = span[start..i];
            if (IsTimeWord(word) || (previousEnd == start - 1 && span[previousEnd] == ' ' && IsTimeAfter(previous, word)))
            {
                return true;
            }

            previous = word;
            previousEnd = i;
        }

        return false;
    }

    /// <summary>A word character as regular expressions' <c>\b</c> sees one.</summary>
    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '\u200C' or '\u200D' || char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
        or System.Globalization.UnicodeCategory.ConnectorPunctuation;

    private static bool IsTimeWord(ReadOnlySpan<char> word)
    {
        if (word.Length == 4 && (word.StartsWith("19") || word.StartsWith("20")) && char.IsDigit(word[2]) && char.IsDigit(word[3]))
        {
            return true;
        }

        if (word.Length is < 3 or > 9)
        {
            return false;
        }

        Span<char> lower = stackalloc char[word.Length];
        word.ToLowerInvariant(lower);
        return TimeWordSet.Contains(lower);
    }

    /// <summary>"last night", "next weekend", "this morning": a time only after its first word.</summary>
    private static bool IsTimeAfter(ReadOnlySpan<char> first, ReadOnlySpan<char> word) =>
        first.Length == 4 && word.Length is >= 4 and <= 7 && (
            first.Equals("last", StringComparison.OrdinalIgnoreCase) && (word.Equals("weekend", StringComparison.OrdinalIgnoreCase)
                || word.Equals("night", StringComparison.OrdinalIgnoreCase) || word.Equals("summer", StringComparison.OrdinalIgnoreCase)
                || word.Equals("winter", StringComparison.OrdinalIgnoreCase) || word.Equals("spring", StringComparison.OrdinalIgnoreCase)
                || word.Equals("fall", StringComparison.OrdinalIgnoreCase) || word.Equals("time", StringComparison.OrdinalIgnoreCase))
            || first.Equals("next", StringComparison.OrdinalIgnoreCase) && word.Equals("weekend", StringComparison.OrdinalIgnoreCase)
            || first.Equals("this", StringComparison.OrdinalIgnoreCase) && (word.Equals("weekend", StringComparison.OrdinalIgnoreCase)
                || word.Equals("morning", StringComparison.OrdinalIgnoreCase) || word.Equals("summer", StringComparison.OrdinalIgnoreCase)));

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> TimeWordSet = new HashSet<string>(
        [
            "yesterday", "today", "tonight", "tomorrow", "ago", "recently",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
            "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
            "week", "weeks", "month", "months", "year", "years",
        ],
        StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Questions about a time ("when ...", "what date/year/month ...", "how long ago ...").</summary>
    public static bool IsWhenQuestion(string query) => WhenQuestion().IsMatch(query);

    private static string? EntryId(JsonObject? payload) =>
        payload?[AgentMemory.EntryKey] is JsonObject entry && entry["id"] is JsonValue id && id.TryGetValue<string>(out var text) ? text : null;

    [GeneratedRegex(@"^\s*when\b|\bwhat (date|day|year|month|time|week)\b|\bhow long ago\b|\bwhich (year|month|day|week)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WhenQuestion();
}
