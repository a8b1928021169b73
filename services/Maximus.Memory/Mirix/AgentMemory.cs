using Maximus.Contracts.Memory;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Hybrid;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Maximus.Memory.Mirix;

/// <summary>
/// The searchable MIRIX memory types (episodic, semantic, procedural, resource) over the vector store port: one
/// collection, every point tagged with its agent (tenant isolation) and type, each type with its own lifetime,
/// cache and ranking. Core memory and the vault live elsewhere (actor, encrypted store) and are never embedded.
/// The collection's <see cref="VectorPayloadKeys.Text"/> is also its keyword (BM25) index, kept by the vector store in
/// the same write as the point, so forgetting and expiry leave through one door (<see cref="RemoveAsync"/>): one delete
/// through the port (vector, payload and keyword terms at once) and the search cache; <see cref="IsCurrent"/> is the one
/// test of what may be returned.
/// </summary>
public sealed class AgentMemory(
    IVectorStore store,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<MemoryOptions> options,
    TimeProvider time)
{
    /// <summary>The longest entry id a write may give (generated ids are shorter).</summary>
    public const int MaxEntryIdLength = 128;

    public const string EntryKey = "entry";
    public const string SubjectKey = "subject";
    public const string ObjectKey = "object";
    public const string ValidKey = "valid";

    /// <summary>Bi-temporal payload keys of facts (Unix milliseconds, range-filtered in the vector store).</summary>
    public const string ValidFromKey = "validFrom";
    public const string ValidToKey = "validTo";
    public const string RecordedAtKey = "recordedAt";
    public const string InvalidatedAtKey = "invalidatedAt";

    /// <summary>Where an episodic entry sits in its conversation: the session (thread) and the turn number within it.</summary>
    public const string SessionKey = "session";
    public const string SequenceKey = "sequence";

    /// <summary>Session and turn in one keyword (see <see cref="Place"/>), indexed: hybrid recall fetches neighbour turns by it.</summary>
    public const string PlaceKey = "place";

    /// <summary>When an episodic entry happened (its session's date), Unix milliseconds, indexed: hybrid recall's time windows.</summary>
    public const string OccurredAtKey = "occurredAt";

    /// <summary>A procedure's track record (successes, failures), beside its entry: the ranking reads them without decoding it.</summary>
    public const string SuccessesKey = "successes";
    public const string FailuresKey = "failures";

    /// <summary>The entities of an episodic entry's text (<see cref="Hybrid.EntityExtractor"/>), indexed: hybrid recall's second hop.</summary>
    public const string EntitiesKey = "entities";

    /// <summary>
    /// The text before an episodic entry in its conversation (the previous turn), kept with it: the entry's keyword text is
    /// this context and the entry's text (<see cref="KeywordText"/>), so a turn is found by the words of the question it answers.
    /// </summary>
    public const string ContextKey = "context";

    /// <summary>
    /// The id of the entry an episodic entry's <see cref="ContextKey"/> was taken from, indexed: when that entry leaves
    /// memory (forget, expiry) the entries holding its text as context are rewritten without it first.
    /// </summary>
    public const string ContextFromKey = "contextFrom";

    /// <summary>
    /// Who the entry is said or done by (its <see cref="MemoryEntry.Actor"/>; null when none), beside the entry so hybrid
    /// retrieval reads it with a hit's few keys (<see cref="VectorSearchRequest.PayloadKeys"/>) instead of the whole entry,
    /// as it reads <see cref="WordsKey"/>, <see cref="AsksKey"/> and <see cref="MentionsTimeKey"/> instead of the text.
    /// Points written before these keys lack them: hybrid retrieval reads such points whole.
    /// </summary>
    public const string ActorKey = "actor";

    /// <summary>How many words the entry's text holds (<see cref="Hybrid.HybridRetriever.WordCount"/>): hybrid retrieval's length prior, read without the text.</summary>
    public const string WordsKey = "words";

    /// <summary>Whether the entry's text ends by asking (<see cref="Hybrid.HybridRetriever.EndsAsking"/>): hybrid retrieval's asking prior.</summary>
    public const string AsksKey = "asks";

    /// <summary>Whether the entry's text mentions a time (<see cref="Hybrid.HybridRetriever.MentionsTime"/>): hybrid retrieval's boost for "when" questions.</summary>
    public const string MentionsTimeKey = "mentionsTime";

    /// <summary>The payload key indexed for keyword (BM25) search: the entry's text (after its <see cref="ContextKey"/>, when it has one).</summary>
    public const string TextField = VectorPayloadKeys.Text;

    /// <summary>The <see cref="PlaceKey"/> value of a turn.</summary>
    public static string Place(string session, int sequence) => string.Create(CultureInfo.InvariantCulture, $"{session}\n{sequence}");

    /// <summary>
    /// The indexed payload keys: tenant and type, expiry (range), the entities of facts (graph expansion), their validity
    /// and their times. Every key a search filters on is here: a condition on a key without an index is evaluated on
    /// payloads read from the store, which for a filter that most points pass means reading all of them.
    /// </summary>
    public static IReadOnlyDictionary<string, PayloadIndexKind> PayloadIndexes { get; } =
        new Dictionary<string, PayloadIndexKind>(VectorCollectionSpec.DefaultPayloadIndexes, StringComparer.Ordinal)
        {
            [VectorPayloadKeys.ExpiresAt] = PayloadIndexKind.Integer,
            [SubjectKey] = PayloadIndexKind.Keyword,
            [ObjectKey] = PayloadIndexKind.Keyword,
            [ValidKey] = PayloadIndexKind.Keyword,
            [ValidFromKey] = PayloadIndexKind.Integer,
            [ValidToKey] = PayloadIndexKind.Integer,
            [RecordedAtKey] = PayloadIndexKind.Integer,
            [InvalidatedAtKey] = PayloadIndexKind.Integer,
            [PlaceKey] = PayloadIndexKind.Keyword,
            [OccurredAtKey] = PayloadIndexKind.Integer,
            [EntitiesKey] = PayloadIndexKind.Keyword,
            [ContextFromKey] = PayloadIndexKind.Keyword,
        };

    public static readonly IReadOnlyList<MemoryType> Searchable = [MemoryType.Episodic, MemoryType.Semantic, MemoryType.Procedural, MemoryType.Resource];

    private readonly MemoryOptions _options = options.Value;
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _evictions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _ensure = new(1, 1);

    /// <summary>Striped locks over (agent, subject): two contradicting writes in one process cannot both stay current.</summary>
    private readonly SemaphoreSlim[] _factLocks = [.. Enumerable.Range(0, 32).Select(_ => new SemaphoreSlim(1, 1))];
    private int? _dimension;

    /// <summary>
    /// The embedding dimension, checked against the collection at start-up with the generator's model id: a collection
    /// embedded with another model is refused with an <see cref="EmbeddingModelMismatchException"/> that names the command
    /// re-embedding it (<see cref="MemoryReembedder"/>); one without a record adopts the model.
    /// </summary>
    public async Task<int> EnsureCollectionAsync(CancellationToken ct)
    {
        if (_dimension is { } known)
        {
            return known;
        }

        await _ensure.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_dimension is { } again)
            {
                return again;
            }

            // The model's declared dimension when it has one (no model load); otherwise one probe embedding.
            var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
            var dimension = metadata?.DefaultModelDimensions
                ?? (await embedder.GenerateAsync(["dimension probe"], cancellationToken: ct).ConfigureAwait(false))[0].Vector.Length;
            await store.EnsureCollectionAsync(CollectionSpec(_options.Collection, dimension, metadata?.DefaultModelId), ct).ConfigureAwait(false);
            _dimension = dimension;
            return dimension;
        }
        finally
        {
            _ensure.Release();
        }
    }

    /// <summary>
    /// Writes an entry. A semantic fact of a functional predicate closes the agent's facts with the same subject and
    /// predicate and another object (see <see cref="SemanticFact"/>); their ids are in the written fact's
    /// <see cref="SemanticFact.Supersedes"/>.
    /// </summary>
    public async Task<MemoryEntry> WriteAsync(string agentId, WriteMemoryRequest request, CancellationToken ct) =>
        (await WriteManyAsync(agentId, [request], null, ct).ConfigureAwait(false))[0];

    /// <summary>
    /// Writes several entries as one batch: all are checked first (one bad entry writes nothing; every bad field is named
    /// <c>{listField}[i].field</c>), the texts without a vector are embedded in one call, and the entries are stored in
    /// one upsert (one transaction). Facts of functional predicates follow one by one, since each may close older facts.
    /// <paramref name="listField"/> null: a single entry, whose fields are named as they are.
    /// </summary>
    public Task<IReadOnlyList<MemoryEntry>> WriteManyAsync(
        string agentId, IReadOnlyList<WriteMemoryRequest> requests, string? listField, CancellationToken ct) =>
        WriteManyAsync(agentId, requests, null, listField, ct);

    /// <summary>
    /// <see cref="WriteManyAsync(string, IReadOnlyList{WriteMemoryRequest}, string?, CancellationToken)"/> with each
    /// entry's place in its conversation (<paramref name="places"/>[i], null or a null session: none), kept in the
    /// payload of episodic entries (<see cref="SessionKey"/>, <see cref="SequenceKey"/>, <see cref="PlaceKey"/>), and the
    /// text before it there (<see cref="ContextKey"/>, null: none), indexed for keyword search with the entry's text.
    /// </summary>
    public async Task<IReadOnlyList<MemoryEntry>> WriteManyAsync(
        string agentId, IReadOnlyList<WriteMemoryRequest> requests, IReadOnlyList<(string? Session, int Sequence, string? Context, string? ContextFrom)>? places, string? listField, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ArgumentNullException.ThrowIfNull(requests);
        var dimension = await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var entries = new MemoryEntry[requests.Count];
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                entries[i] = Prepare(agentId, requests[i] ?? throw ProblemException.Invalid("entry", "is required."), dimension, now);
                if (requests[i].Id is { } id && !ids.TryAdd(id, i))
                {
                    throw ProblemException.Invalid("id", $"repeats the id of entry {ids[id]}.");
                }
            }
            catch (ProblemException p) when (listField is not null && p.Field is not null)
            {
                errors[$"{listField}[{i}].{p.Field}"] = [p.Detail ?? p.Title];
            }
        }

        if (errors.Count > 0)
        {
            var first = errors.First();
            throw new ProblemException(400, "Invalid request", $"{errors.Count} of {requests.Count} entries are invalid, nothing was written; first: {first.Key}: {first.Value[0]}", first.Key)
            {
                Errors = errors,
            };
        }

        // One embedding call for every text without a vector (the generator batches it).
        var vectors = new float[entries.Length][];
        var toEmbed = Enumerable.Range(0, entries.Length).Where(i => requests[i].Vector is null).ToList();
        if (toEmbed.Count > 0)
        {
            var embedded = await embedder.GenerateAsync(toEmbed.Select(i => EmbeddingText(entries[i])), cancellationToken: ct).ConfigureAwait(false);
            for (var j = 0; j < toEmbed.Count; j++)
            {
                vectors[toEmbed[j]] = embedded[j].Vector.ToArray();
            }
        }

        for (var i = 0; i < entries.Length; i++)
        {
            vectors[i] ??= requests[i].Vector!;
        }

        var plain = Enumerable.Range(0, entries.Length).Where(i => !ClosesOthers(entries[i])).ToList();
        try
        {
            if (plain.Count > 0)
            {
                await store.UpsertAsync(_options.Collection, [.. plain.Select(i => new VectorRecord(PointId(agentId, entries[i].Id), vectors[i], Payload(entries[i], places is null || entries[i].Type != MemoryType.Episodic ? null : places[i].Session, places?[i].Sequence ?? 0, places is null || entries[i].Type != MemoryType.Episodic ? null : (places[i].Context, places[i].ContextFrom))))], ct).ConfigureAwait(false);
            }

            for (var i = 0; i < entries.Length; i++)
            {
                if (ClosesOthers(entries[i]))
                {
                    entries[i] = await WriteFunctionalFactAsync(entries[i], vectors[i], now, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Touch(agentId);
        }

        return entries;
    }

    /// <summary>A fact of a functional predicate: writing it may close the agent's contradicting facts.</summary>
    private bool ClosesOthers(MemoryEntry entry) =>
        entry.Type == MemoryType.Semantic && entry.Fact is { } fact && (fact.Functional ?? _options.IsFunctional(fact.Predicate));

    /// <summary>The entry a request writes (checked; times, expiry and the fact's record time set).</summary>
    private MemoryEntry Prepare(string agentId, WriteMemoryRequest request, int dimension, DateTimeOffset now)
    {
        Validate(request);
        if (request.Vector is { } given && given.Length != dimension)
        {
            throw ProblemException.Invalid("vector", $"has {given.Length} dimensions; this memory's embedding model has {dimension}.");
        }

        var ttl = _options.For(request.Type).Ttl;
        var entry = new MemoryEntry(
            request.Id ?? Guid.NewGuid().ToString("N"), agentId, request.Type, request.Text, now,
            request.OccurredAt ?? (request.Type == MemoryType.Episodic ? now : null),
            request.ExpiresAt ?? (ttl is { } t ? now + t : null),
            request.Tags, request.Actor, request.Outcome,
            request.Fact is { } f
                ? f with { ValidFrom = f.ValidFrom ?? now, RecordedAt = now, InvalidatedAt = null, SupersededAt = null, SupersededBy = null, Supersedes = null }
                : null,
            request.Procedure, request.Resource);
        if (entry.ExpiresAt is { } expires && expires <= now)
        {
            throw ProblemException.Invalid("expiresAt", "must be in the future.");
        }

        return entry;
    }

    private async Task<MemoryEntry> WriteFunctionalFactAsync(MemoryEntry entry, float[] vector, DateTimeOffset now, CancellationToken ct)
    {
        var gate = _factLocks[(int)((uint)StringComparer.Ordinal.GetHashCode($"{entry.AgentId}\n{entry.Fact!.Subject}") % (uint)_factLocks.Length)];
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            (entry, var closed) = await ContradictAsync(entry, now, ct).ConfigureAwait(false);

            // The new fact is written first: a failure before the old ones are closed leaves both current, never neither.
            await store.UpsertAsync(_options.Collection, [new VectorRecord(PointId(entry.AgentId, entry.Id), vector, Payload(entry))], ct).ConfigureAwait(false);
            foreach (var old in closed)
            {
                await RewriteAsync(old, ct).ConfigureAwait(false);
            }

            return entry;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Whether the entry is current: not expired and, for a fact, true at <paramref name="asOf"/> (valid time, default
    /// now) as memory knew it at <paramref name="knownAt"/> (record time, default now). The one test of what may be
    /// returned: every read path (get, search, graph expansion, caches, hybrid recall's lexical hits) asks it.
    /// </summary>
    public bool IsCurrent(MemoryEntry entry, DateTimeOffset? asOf = null, DateTimeOffset? knownAt = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var now = time.GetUtcNow();
        return !Expired(entry) && (entry.Fact is not { } fact || fact.HoldsAt(asOf ?? now, knownAt ?? now));
    }

    /// <summary>
    /// The agent's facts with the new fact's subject and predicate and another object, as memory believes them now:
    /// one still true at the new fact's start is closed there (or retracted when it starts at the same instant); one that
    /// starts later bounds the new fact instead (it is older history arriving late).
    /// </summary>
    private async Task<(MemoryEntry Entry, IReadOnlyList<MemoryEntry> Closed)> ContradictAsync(MemoryEntry entry, DateTimeOffset now, CancellationToken ct)
    {
        var fact = entry.Fact!;
        var start = fact.ValidFrom!.Value;
        var end = fact.ValidTo;
        var closed = new List<MemoryEntry>();
        var filter = VectorFilter.ForAgent(entry.AgentId).OfTypes(Name(MemoryType.Semantic)).NotExpired(now)
            .And(VectorCondition.Match(SubjectKey, fact.Subject))
            .AndNot(VectorCondition.Match(ValidKey, "false"));
        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(_options.Collection, new VectorScrollRequest(200, filter, cursor), ct).ConfigureAwait(false);
            foreach (var old in page.Records.Select(r => Entry(r.Payload)).OfType<MemoryEntry>())
            {
                if (old.AgentId != entry.AgentId || old.Id == entry.Id || old.Fact is not { } f || f.InvalidatedAt is not null
                    || !string.Equals(MemoryOptions.NormalizePredicate(f.Predicate), MemoryOptions.NormalizePredicate(fact.Predicate), StringComparison.OrdinalIgnoreCase)
                    || string.Equals(f.Object.Trim(), fact.Object.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var oldStart = f.ValidFrom ?? old.CreatedAt;
                if (oldStart == start)
                {
                    closed.Add(old with { Fact = f with { InvalidatedAt = now, SupersededBy = entry.Id } });
                }
                else if (oldStart < start && (f.ValidTo is not { } oldEnd || oldEnd > start))
                {
                    closed.Add(old with { Fact = f with { ValidTo = start, SupersededAt = now, SupersededBy = entry.Id } });
                }
                else if (oldStart > start && (end is null || end > oldStart))
                {
                    end = oldStart;
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        var supersedes = closed.Select(c => c.Id).Order(StringComparer.Ordinal).ToList();
        return (entry with { Fact = fact with { ValidTo = end, Supersedes = supersedes.Count > 0 ? supersedes : null } }, closed);
    }

    public async Task<MemoryEntry> GetAsync(string agentId, string id, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ValidateEntryId(id);
        await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var records = await store.GetAsync(_options.Collection, [PointId(agentId, id)], cancellationToken: ct).ConfigureAwait(false);
        var entry = records.Count == 0 ? null : Entry(records[0].Payload);
        if (entry is not null && entry.AgentId == agentId && Expired(entry))
        {
            await RemoveAsync([PointId(agentId, id)], ct).ConfigureAwait(false);
        }

        if (entry is null || entry.AgentId != agentId || !Retrievable(entry))
        {
            throw ProblemException.NotFound($"No memory '{id}'.");
        }

        return entry;
    }

    /// <summary>Forgets an entry: removed from every index that can return it, and its text from disk.</summary>
    public async Task<bool> ForgetAsync(string agentId, string id, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ValidateEntryId(id);
        await EnsureCollectionAsync(ct).ConfigureAwait(false);
        return await RemoveAsync([PointId(agentId, id)], ct).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// The entries among <paramref name="ids"/> that may be returned now (<see cref="IsCurrent"/>), by id. Expired
    /// entries met on the way, and ids that the store no longer holds, are removed from every index.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MemoryEntry>> CurrentAsync(string agentId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        var current = new Dictionary<string, MemoryEntry>(StringComparer.Ordinal);
        if (ids.Count == 0)
        {
            return current;
        }

        await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var pointIds = ids.Distinct(StringComparer.Ordinal).Select(id => PointId(agentId, id)).ToList();
        var found = (await store.GetAsync(_options.Collection, pointIds, cancellationToken: ct).ConfigureAwait(false))
            .ToDictionary(r => r.Id, r => Entry(r.Payload), StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var pointId in pointIds)
        {
            var entry = found.GetValueOrDefault(pointId);
            if (entry is null || entry.AgentId != agentId || Expired(entry))
            {
                stale.Add(pointId);
            }
            else if (IsCurrent(entry))
            {
                current[entry.Id] = entry;
            }
        }

        await RemoveAsync(stale, ct).ConfigureAwait(false);
        return current;
    }

    /// <summary>Ends a fact's validity: it is never returned again (kept for audit until purged).</summary>
    public async Task<MemoryEntry> InvalidateFactAsync(string agentId, string id, CancellationToken ct)
    {
        var entry = await GetAsync(agentId, id, ct).ConfigureAwait(false);
        if (entry.Type != MemoryType.Semantic || entry.Fact is null)
        {
            throw ProblemException.Invalid("id", "is not a semantic fact.");
        }

        return await RewriteAsync(entry with { Fact = entry.Fact with { InvalidatedAt = time.GetUtcNow() } }, ct).ConfigureAwait(false);
    }

    /// <summary>Counts a use of a procedure: its success rate ranks it.</summary>
    public async Task<MemoryEntry> RecordOutcomeAsync(string agentId, string id, bool succeeded, CancellationToken ct)
    {
        var entry = await GetAsync(agentId, id, ct).ConfigureAwait(false);
        if (entry.Type != MemoryType.Procedural || entry.Procedure is null)
        {
            throw ProblemException.Invalid("id", "is not a procedure.");
        }

        var p = entry.Procedure;
        return await RewriteAsync(entry with { Procedure = succeeded ? p with { Successes = p.Successes + 1 } : p with { Failures = p.Failures + 1 } }, ct).ConfigureAwait(false);
    }

    public async Task<SearchMemoryResponse> SearchAsync(string agentId, SearchMemoryRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        EpisodicMemoryStore.ValidateAgent(agentId);
        var dimension = await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var types = ValidateSearch(request, dimension);
        var cacheKey = request.Vector is null
            ? $"{agentId}|{Version(agentId)}|{string.Join(',', types)}|{request.K}|{request.Active}|{Tags(request.Tags)}|{request.AsOf?.UtcTicks}|{request.KnownAt?.UtcTicks}|{request.Query}"
            : null;
        if (cacheKey is not null && _cache.TryGetValue(cacheKey, out CachedAnswer? answer) && answer?.Answer is { } cached)
        {
            // An entry may have expired since the answer was cached.
            return cached with { Hits = [.. cached.Hits.Where(h => IsCurrent(h.Entry))], ElapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds };
        }

        var now = time.GetUtcNow();
        IReadOnlyList<MemoryHit> hits;
        var topic = request.Active && TopicOf(request.Query) is { } t && !string.Equals(t, request.Query, StringComparison.OrdinalIgnoreCase) ? t : null;
        if (topic is null)
        {
            hits = await SearchOnceAsync(agentId, request.Vector ?? await EmbedQueryAsync(request.Query, ct).ConfigureAwait(false), types, request, now, ct).ConfigureAwait(false);
        }
        else
        {
            // MIRIX active retrieval: the query's topic searches every type too, and both result lists are merged. Both
            // texts are embedded in one call, and the two searches run side by side.
            float[] queryVector, topicVector;
            if (request.Vector is { } given)
            {
                (queryVector, topicVector) = (given, await EmbedQueryAsync(topic, ct).ConfigureAwait(false));
            }
            else
            {
                var both = await embedder.GenerateAsync([request.Query, topic], QueryEmbedding.Options(), ct).ConfigureAwait(false);
                (queryVector, topicVector) = (both[0].Vector.ToArray(), both[1].Vector.ToArray());
            }

            var byQuery = SearchOnceAsync(agentId, queryVector, types, request, now, ct);
            var byTopic = SearchOnceAsync(agentId, topicVector, types, request, now, ct);
            hits = Merge(await byQuery.ConfigureAwait(false), await byTopic.ConfigureAwait(false), request.K);
        }

        var response = new SearchMemoryResponse(agentId, hits, topic, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (cacheKey is not null && types.Min(type => _options.For(type).CacheSize) > 0)
        {
            var entryOptions = new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = types.Min(type => _options.For(type).CacheTtl) };
            entryOptions.AddExpirationToken(new CancellationChangeToken(_evictions.GetOrAdd(agentId, _ => new CancellationTokenSource()).Token));
            _cache.Set(cacheKey, new CachedAnswer(JsonSerializer.SerializeToUtf8Bytes(response, MaximusJson.Options)), entryOptions);
        }

        return response;
    }

    /// <summary>Deletes every expired entry (all agents) from every index; returns how many.</summary>
    public async Task<long> PurgeExpiredAsync(CancellationToken ct)
    {
        await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var expired = VectorFilter.Where(VectorCondition.Range(VectorPayloadKeys.ExpiresAt, lte: time.GetUtcNow().ToUnixTimeMilliseconds()));
        long removed = 0;
        while (true)
        {
            // Each page is deleted before the next is read, so the first page is always the next one.
            var page = await store.ScrollAsync(_options.Collection, new VectorScrollRequest(1000, expired), ct).ConfigureAwait(false);
            var points = await RemoveAsync([.. page.Records.Select(r => r.Id)], ct).ConfigureAwait(false);
            removed += points;
            if (points == 0 || page.NextCursor is null)
            {
                return removed;
            }
        }
    }

    /// <summary>
    /// The one way out of memory (forget, the expiry purge, expired entries met by a read): one delete through the vector
    /// store port, which removes vector, payload and keyword terms together (and their text from disk), then drops the
    /// agents' cached search answers. Returns how many points existed.
    /// </summary>
    private async Task<int> RemoveAsync(IReadOnlyCollection<string> pointIds, CancellationToken ct)
    {
        if (pointIds.Count == 0)
        {
            return 0;
        }

        await DropContextsAsync(pointIds, ct).ConfigureAwait(false);
        var points = await store.DeleteAsync(_options.Collection, pointIds, ct).ConfigureAwait(false);
        foreach (var agent in pointIds.Select(SplitPointId).Select(p => p.AgentId).Distinct(StringComparer.Ordinal))
        {
            Touch(agent);
        }

        return points;
    }

    /// <summary>
    /// Before entries leave: the entries that hold their text as keyword context (<see cref="ContextFromKey"/>) are
    /// rewritten without it (same vector, keyword text their own), so no index keeps a removed entry's words.
    /// </summary>
    private async Task DropContextsAsync(IReadOnlyCollection<string> pointIds, CancellationToken ct)
    {
        foreach (var agent in pointIds.Select(SplitPointId).GroupBy(p => p.AgentId, StringComparer.Ordinal))
        {
            await SetContextsAsync(agent.Key, agent.Select(p => p.Id).Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => (string?)null, StringComparer.Ordinal), pointIds, ct)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After episodic entries were written: the entries that hold an older text of one of them as keyword context
    /// (<see cref="ContextFromKey"/>) take its new text, so an edited turn leaves no old words in the next turn's index.
    /// </summary>
    public async Task RefreshContextsAsync(string agentId, IReadOnlyList<MemoryEntry> written, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(written);
        var texts = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var entry in written.Where(e => e.Type == MemoryType.Episodic))
        {
            texts[entry.Id] = entry.Text;
        }

        if (texts.Count > 0)
        {
            await SetContextsAsync(agentId, texts, null, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rewrites the agent's entries whose context came from a key of <paramref name="contextByFrom"/> with that value as
    /// their context (null: none), keeping their vectors; entries in <paramref name="leaving"/> and those already holding
    /// that context are left alone.
    /// </summary>
    private async Task SetContextsAsync(string agentId, Dictionary<string, string?> contextByFrom, IReadOnlyCollection<string>? leaving, CancellationToken ct)
    {
        var filter = VectorFilter.ForAgent(agentId).And(VectorCondition.MatchAny(ContextFromKey, [.. contextByFrom.Keys]));
        var rewritten = new List<VectorRecord>();
        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(_options.Collection, new VectorScrollRequest(1000, filter, cursor) { WithVectors = true }, ct).ConfigureAwait(false);
            foreach (var record in page.Records)
            {
                if (leaving?.Contains(record.Id) == true || ContextOf(record.Payload) is not { From: { } from } old
                    || !contextByFrom.TryGetValue(from, out var context) || (context is not null && context == old.Text)
                    || TextOf(record.Payload) is not { } own)
                {
                    continue;
                }

                var payload = (JsonObject)record.Payload.DeepClone();
                payload[VectorPayloadKeys.Text] = KeywordText(own, context);
                if (context is null)
                {
                    payload.Remove(ContextKey);
                    payload.Remove(ContextFromKey);
                }
                else
                {
                    payload[ContextKey] = context;
                }

                rewritten.Add(record with { Payload = payload });
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);

        if (rewritten.Count > 0)
        {
            await store.UpsertAsync(_options.Collection, rewritten, ct).ConfigureAwait(false);
            Touch(agentId);
        }
    }

    private async Task<IReadOnlyList<MemoryHit>> SearchOnceAsync(
        string agentId, float[] vector, IReadOnlyList<MemoryType> types, SearchMemoryRequest request, DateTimeOffset now, CancellationToken ct)
    {
        var filter = VectorFilter.ForAgent(agentId).OfTypes([.. types.Select(Name)]).NotExpired(now);
        foreach (var (key, value) in request.Tags ?? new Dictionary<string, string>())
        {
            filter = filter.And(VectorCondition.Match(TagKey(key), value));
        }

        var asOf = request.AsOf ?? now;
        var knownAt = request.KnownAt is { } k && k < now ? k : now; // memory knows nothing later than now
        if (types.Contains(MemoryType.Semantic))
        {
            filter = Temporal(filter, asOf, knownAt, now);
        }

        var limit = Math.Min(VectorSearchRequest.MaxLimit, request.K * Math.Max(1, _options.Oversampling) * (types.Count > 1 ? 2 : 1));
        var raw = await store.SearchAsync(_options.Collection, new VectorSearchRequest(vector, limit, filter), ct).ConfigureAwait(false);

        // Ranked on the payload fields the ranking needs; only the best are decoded into entries, in rank order, until K
        // of them are current (an entry the ranking puts lower cannot be in the answer).
        var ranked = new List<(VectorSearchHit Hit, double Score)>(raw.Count);
        foreach (var h in raw)
        {
            if (RankOf(h.Payload, h.Score, now) is { } score)
            {
                ranked.Add((h, score));
            }
        }

        ranked.Sort((a, b) => b.Score.CompareTo(a.Score) is var c and not 0 ? c : string.CompareOrdinal(a.Hit.Id, b.Hit.Id));
        var hits = new List<MemoryHit>(request.K);
        foreach (var (h, score) in ranked)
        {
            if (hits.Count == request.K)
            {
                break;
            }

            if (Entry(h.Payload) is { } entry && entry.AgentId == agentId && IsCurrent(entry, asOf, knownAt))
            {
                hits.Add(new MemoryHit(entry, score, h.Score));
            }
        }

        if (types.Contains(MemoryType.Semantic) && _options.SemanticHops > 0)
        {
            // Expand from the strongest facts only (within half of the best similarity, at most three). A neighbour scores at
            // most its seed × the hop weight: when the K-th hit already scores more, no neighbour can enter the answer.
            var facts = hits.Where(h => h.Entry.Type == MemoryType.Semantic && h.Entry.Fact is not null).OrderByDescending(h => h.Similarity).ToList();
            var seeds = facts.TakeWhile(h => h.Similarity >= facts[0].Similarity * 0.5).Take(ExpansionSeeds).ToList();
            var floor = hits.Count < request.K ? double.NegativeInfinity : hits.Min(h => h.Score);
            hits.AddRange(await ExpandAsync(agentId, seeds, asOf, knownAt, now, Math.Max(50, request.K * 2), floor, ct).ConfigureAwait(false));
        }

        return hits.GroupBy(h => h.Entry.Id).Select(g => g.MaxBy(h => h.Score)!)
            .OrderByDescending(h => h.Score).ThenBy(h => h.Entry.Id, StringComparer.Ordinal)
            .Take(request.K).ToList();
    }

    /// <summary>
    /// Facts sharing an entity with the hits: 1 hop, then 2 hops, each hop weighted down. Each hop reads the facts whose
    /// subject or object is an entity of the hop's frontier (two filtered reads, whatever the frontier's size); a fact
    /// found takes the best score of the frontier facts it shares an entity with; the next hop starts from the best
    /// <see cref="ExpansionSeeds"/> of them.
    /// </summary>
    private async Task<List<MemoryHit>> ExpandAsync(
        string agentId, IReadOnlyList<MemoryHit> seeds, DateTimeOffset asOf, DateTimeOffset knownAt, DateTimeOffset now, int limit, double floor, CancellationToken ct)
    {
        var expanded = new List<MemoryHit>();
        var seen = seeds.Select(s => s.Entry.Id).ToHashSet(StringComparer.Ordinal);
        var frontier = seeds;
        var filter = Temporal(VectorFilter.ForAgent(agentId).OfTypes(Name(MemoryType.Semantic)).NotExpired(now), asOf, knownAt, now);
        for (var hop = 1; hop <= Math.Min(2, _options.SemanticHops) && frontier.Count > 0 && frontier.Max(f => f.Score) * _options.HopWeight >= floor; hop++)
        {
            // The best score of a frontier fact per entity, and which fact it was.
            var best = new Dictionary<string, MemoryHit>(StringComparer.Ordinal);
            foreach (var seed in frontier)
            {
                foreach (var entity in new[] { seed.Entry.Fact!.Subject, seed.Entry.Fact.Object })
                {
                    if (!best.TryGetValue(entity, out var known) || known.Score < seed.Score)
                    {
                        best[entity] = seed;
                    }
                }
            }

            var found = new Dictionary<string, MemoryHit>(StringComparer.Ordinal);
            foreach (var key in new[] { SubjectKey, ObjectKey })
            {
                var page = await store.ScrollAsync(_options.Collection, new VectorScrollRequest(limit, filter.And(VectorCondition.MatchAny(key, best.Keys))), ct).ConfigureAwait(false);
                foreach (var record in page.Records)
                {
                    if (Entry(record.Payload) is not { Fact: { } fact } neighbour || !IsCurrent(neighbour, asOf, knownAt) || seen.Contains(neighbour.Id))
                    {
                        continue;
                    }

                    var parent = new[] { fact.Subject, fact.Object }.Select(e => best.GetValueOrDefault(e)).OfType<MemoryHit>().MaxBy(p => p.Score);
                    if (parent is not null && (!found.TryGetValue(neighbour.Id, out var already) || already.Score < parent.Score * _options.HopWeight))
                    {
                        found[neighbour.Id] = new MemoryHit(neighbour, parent.Score * _options.HopWeight, 0, $"{hop} hop(s) from {parent.Entry.Id}");
                    }
                }
            }

            var next = found.Values.OrderByDescending(h => h.Score).ThenBy(h => h.Entry.Id, StringComparer.Ordinal).ToList();
            seen.UnionWith(next.Select(h => h.Entry.Id));
            expanded.AddRange(next);
            frontier = [.. next.Take(ExpansionSeeds)];
        }

        return expanded;
    }

    /// <summary>How many facts of the hits (and of each hop) graph expansion starts from.</summary>
    private const int ExpansionSeeds = 3;

    /// <summary>Per-type ranking: episodic similarity × recency, procedural similarity × success rate, others similarity.</summary>
    public double Rank(MemoryEntry entry, double similarity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Rank(entry.Type, entry.OccurredAt ?? entry.CreatedAt, entry.Procedure?.SuccessRate, similarity, now);
    }

    private double Rank(MemoryType type, DateTimeOffset happened, double? successRate, double similarity, DateTimeOffset now)
    {
        var o = _options.For(type);
        return type switch
        {
            MemoryType.Episodic when o.RecencyHalfLife is { } halfLife && halfLife > TimeSpan.Zero =>
                similarity * (o.RecencyFloor + ((1 - o.RecencyFloor) * Math.Pow(0.5, Math.Max(0, (now - happened).TotalSeconds) / halfLife.TotalSeconds))),
            MemoryType.Procedural when successRate is { } rate => similarity * rate,
            _ => similarity,
        };
    }

    /// <summary>
    /// <see cref="Rank(MemoryEntry, double, DateTimeOffset)"/> read off a stored payload without decoding the entry: its
    /// type, when it happened and a procedure's track record. Null for a payload that holds no entry.
    /// </summary>
    private double? RankOf(JsonObject? payload, double similarity, DateTimeOffset now)
    {
        if (payload?[EntryKey] is not JsonObject entry || payload[VectorPayloadKeys.Type] is not JsonValue typeValue
            || !typeValue.TryGetValue<string>(out var typeName) || !Enum.TryParse<MemoryType>(typeName, ignoreCase: true, out var type))
        {
            return null;
        }

        // The payload's top-level copies first (written with the entry); the entry itself only for a point written before
        // them. Reading the entry's fields would materialize the whole entry object of every candidate.
        var happened = type != MemoryType.Episodic ? default
            : payload[OccurredAtKey] is JsonValue at && at.TryGetValue<long>(out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : (entry["occurredAt"] ?? entry["createdAt"])?.GetValue<DateTimeOffset>() ?? DateTimeOffset.MinValue;
        double? rate = type != MemoryType.Procedural ? null
            : payload[SuccessesKey] is JsonValue successes && payload[FailuresKey] is JsonValue failures
                && successes.TryGetValue<int>(out var won) && failures.TryGetValue<int>(out var lost) ? new Procedure("", [], won, lost).SuccessRate
            : entry["procedure"] is JsonObject p ? new Procedure("", [], (int?)p["successes"] ?? 0, (int?)p["failures"] ?? 0).SuccessRate
            : null;
        return Rank(type, happened, rate, similarity, now);
    }

    /// <summary>
    /// The agent's live entries of one type, newest first (by when they happened, then when they were written), and how
    /// many there are: a listing of the store itself, so it holds what every write path wrote.
    /// </summary>
    public async Task<(int Total, IReadOnlyList<MemoryEntry> Items)> ListAsync(string agentId, MemoryType type, int limit, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        if (!Searchable.Contains(type))
        {
            throw ProblemException.Invalid("type", "must be episodic, semantic, procedural or resource.");
        }

        if (limit < 1)
        {
            throw ProblemException.Invalid("limit", "must be at least 1.");
        }

        await EnsureCollectionAsync(ct).ConfigureAwait(false);
        var filter = VectorFilter.ForAgent(agentId).OfTypes(Name(type)).NotExpired(time.GetUtcNow());
        var entries = new List<MemoryEntry>();
        string? cursor = null;
        do
        {
            var page = await store.ScrollAsync(_options.Collection, new VectorScrollRequest(VectorScrollRequest.MaxLimit, filter, cursor), ct).ConfigureAwait(false);
            entries.AddRange(page.Records.Select(r => Entry(r.Payload)).OfType<MemoryEntry>().Where(e => e.AgentId == agentId && Retrievable(e)));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return (entries.Count, [.. entries
            .OrderByDescending(e => e.OccurredAt ?? e.CreatedAt).ThenByDescending(e => e.CreatedAt).ThenBy(e => e.Id, StringComparer.Ordinal)
            .Take(limit)]);
    }

    /// <summary>A short topic: the query's content words (MIRIX derives a topic before searching every type).</summary>
    public static string? TopicOf(string query)
    {
        var words = query.Split([' ', ',', '.', '?', '!', ';', ':', '"', '\'', '(', ')'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w.Length > 2 && !StopWords.Contains(w))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(6)
            .ToList();
        return words.Count == 0 ? null : string.Join(' ', words);
    }

    /// <summary>
    /// The bi-temporal rule of <see cref="SemanticFact.HoldsAt"/> as store conditions. Every condition is a must-not on a
    /// range, which a point without the key passes, so entries of other types are untouched. The end of validity is
    /// filtered in the store when known now; for a past <paramref name="knownAt"/> an end learned later does not count,
    /// which the store cannot express, so it is checked after retrieval.
    /// </summary>
    private static VectorFilter Temporal(VectorFilter filter, DateTimeOffset asOf, DateTimeOffset knownAt, DateTimeOffset now)
    {
        var validAt = asOf.ToUnixTimeMilliseconds();
        var known = knownAt.ToUnixTimeMilliseconds();
        filter = filter
            .AndNot(VectorCondition.Range(ValidFromKey, gt: validAt))
            .AndNot(VectorCondition.Range(RecordedAtKey, gt: known))
            .AndNot(VectorCondition.Range(InvalidatedAtKey, lte: known));
        return knownAt >= now
            ? filter.AndNot(VectorCondition.Range(ValidToKey, lte: validAt)).AndNot(VectorCondition.Match(ValidKey, "false"))
            : filter;
    }

    private static IReadOnlyList<MemoryHit> Merge(IReadOnlyList<MemoryHit> a, IReadOnlyList<MemoryHit> b, int k) =>
        a.Concat(b).GroupBy(h => h.Entry.Id).Select(g => g.MaxBy(h => h.Score)!).OrderByDescending(h => h.Score).Take(k).ToList();

    private async Task<MemoryEntry> RewriteAsync(MemoryEntry entry, CancellationToken ct)
    {
        var records = await store.GetAsync(_options.Collection, [PointId(entry.AgentId, entry.Id)], withVectors: true, ct).ConfigureAwait(false);
        var vector = records.Count > 0 && records[0].Vector.Length > 0 ? records[0].Vector : await EmbedAsync(EmbeddingText(entry), ct).ConfigureAwait(false);
        var payload = Payload(entry, context: entry.Type == MemoryType.Episodic && records.Count > 0 ? ContextOf(records[0].Payload) : null);
        foreach (var key in new[] { SessionKey, SequenceKey, PlaceKey })
        {
            if (records.Count > 0 && records[0].Payload[key] is { } kept)
            {
                payload[key] = kept.DeepClone();
            }
        }

        await store.UpsertAsync(_options.Collection, [new VectorRecord(PointId(entry.AgentId, entry.Id), vector, payload)], ct).ConfigureAwait(false);
        Touch(entry.AgentId);
        return entry;
    }

    private async Task<float[]> EmbedAsync(string text, CancellationToken ct) =>
        (await embedder.GenerateAsync([text], cancellationToken: ct).ConfigureAwait(false))[0].Vector.ToArray();

    private async Task<float[]> EmbedQueryAsync(string text, CancellationToken ct) =>
        (await embedder.GenerateAsync([text], QueryEmbedding.Options(), ct).ConfigureAwait(false))[0].Vector.ToArray();

    private bool Expired(MemoryEntry entry) => entry.ExpiresAt is { } at && at <= time.GetUtcNow();

    /// <summary>What a lookup by id or a listing may return: not expired and not retracted (a fact that was true once and has
    /// since been closed by a contradicting one is history, still readable by its id; <see cref="IsCurrent"/> keeps it out of search).</summary>
    private bool Retrievable(MemoryEntry entry) => !Expired(entry) && entry.Fact?.InvalidatedAt is null;

    /// <summary>A write or a removal: the agent's cached search answers are dropped (and their keys never match again).</summary>
    private void Touch(string agentId)
    {
        _versions.AddOrUpdate(agentId, 1, (_, v) => v + 1);
        if (_evictions.TryRemove(agentId, out var eviction))
        {
            eviction.Cancel();
        }
    }

    private long Version(string agentId) => _versions.GetValueOrDefault(agentId);

    /// <summary>An entry id from a route: no entry has a blank id or one longer than <see cref="MaxEntryIdLength"/> (a 400, not a failed lookup).</summary>
    private static void ValidateEntryId(string id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxEntryIdLength)
        {
            throw ProblemException.Invalid("id", $"must be 1 to {MaxEntryIdLength} characters.");
        }
    }

    /// <summary>Point ids are per agent, so two agents may use the same entry id.</summary>
    private static string PointId(string agentId, string id) => $"{agentId}:{id}";

    /// <summary>The entry id of a point of an agent's memory (what follows the agent id and ':').</summary>
    public static string EntryIdOf(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return SplitPointId(pointId).Id;
    }

    /// <summary>Agent ids hold no ':' (entry ids may), so the first ':' ends the agent.</summary>
    private static (string AgentId, string Id) SplitPointId(string pointId) =>
        pointId.IndexOf(':', StringComparison.Ordinal) is var at and > 0 ? (pointId[..at], pointId[(at + 1)..]) : (pointId, pointId);

    private static string Name(MemoryType type) => type.ToString().ToLowerInvariant();

    private static string TagKey(string key) => $"tag_{key}";

    private static string Tags(IReadOnlyDictionary<string, string>? tags) =>
        tags is null ? "" : string.Join('&', tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));

    /// <summary>The memories collection as this class ensures it: its payload indexes, keyword field and embedding model.</summary>
    public static VectorCollectionSpec CollectionSpec(string collection, int dimension, string? embeddingModel) =>
        new(collection, dimension) { PayloadIndexes = PayloadIndexes, TextField = TextField, EmbeddingModel = embeddingModel };

    /// <summary>
    /// What a stored point was embedded from: <see cref="EmbeddingText(MemoryEntry)"/> of its entry, or for a point without
    /// one (e.g. migrated from Chroma) its <see cref="VectorPayloadKeys.Text"/>; null when it has neither.
    /// </summary>
    public static string? EmbeddingText(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Entry(payload) is { } entry ? EmbeddingText(entry)
            : payload[VectorPayloadKeys.Text] is JsonValue text && text.GetValueKind() == JsonValueKind.String ? text.GetValue<string>()
            : null;
    }

    /// <summary>
    /// What is embedded: the text, and for a fact or a procedure their structured parts too; an episodic turn written as
    /// what its actor said ("Melanie: I painted my lake", as <c>/conversations</c> writes a turn with a speaker) in the
    /// third person, the actor's first-person words their name (<see cref="HybridRetriever.InThirdPerson"/>).
    /// </summary>
    public static string EmbeddingText(MemoryEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return EmbeddingText(e.Type, e.Text, e.Actor, e.Fact, e.Procedure);
    }

    /// <summary>What is embedded for an entry written by <paramref name="request"/> (as <see cref="EmbeddingText(MemoryEntry)"/>): for callers that send their own vectors.</summary>
    public static string EmbeddingText(WriteMemoryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return EmbeddingText(request.Type, request.Text, request.Actor, request.Fact, request.Procedure);
    }

    private static string EmbeddingText(MemoryType type, string text, string? actor, SemanticFact? fact, Procedure? procedure) => (fact, procedure) switch
    {
        ({ } f, _) => $"{f.Subject} {f.Predicate} {f.Object}. {text}",
        (_, { } p) => $"{p.GoalPattern}: {text}",
        _ when type == MemoryType.Episodic && actor is not null && IsSaidBy(text, actor) => $"{actor}:{HybridRetriever.InThirdPerson(text[(actor.Length + 1)..], actor)}",
        _ => text,
    };

    /// <summary>Whether a text is written as what <paramref name="actor"/> said: "{actor}: ...".</summary>
    private static bool IsSaidBy(string text, string actor) =>
        !string.IsNullOrWhiteSpace(actor) && text.Length > actor.Length && text.StartsWith(actor, StringComparison.Ordinal) && text[actor.Length] == ':';

    /// <summary>
    /// What keyword search indexes for an entry: its text, or with a context the context once and the text twice (a field
    /// weight, as BM25F would give: the entry's own words count double, so a turn outranks the reply that only follows it).
    /// </summary>
    public static string KeywordText(string text, string? context) =>
        string.IsNullOrEmpty(context) ? text : $"{context}\n{text}\n{text}";

    /// <summary>
    /// An entry's own text read off its payload: the keyword text without the context <see cref="KeywordText"/> put before
    /// it (no entry object is decoded). Null when the payload holds no text or not in that form.
    /// </summary>
    public static string? OwnText(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload[VectorPayloadKeys.Text] is not JsonValue t || !t.TryGetValue<string>(out var keyword))
        {
            return null;
        }

        if (payload[ContextKey] is not JsonValue c || !c.TryGetValue<string>(out var context) || context.Length == 0)
        {
            return keyword;
        }

        // "{context}\n{text}\n{text}": after the context and its line break, the text, a line break, the text again.
        var length = (keyword.Length - context.Length - 2) / 2;
        return length >= 0 && keyword.Length == context.Length + (2 * length) + 2
            && keyword.AsSpan().StartsWith(context, StringComparison.Ordinal) && keyword[context.Length] == '\n' && keyword[context.Length + 1 + length] == '\n'
            && keyword.AsSpan(context.Length + 1, length).SequenceEqual(keyword.AsSpan(context.Length + length + 2))
            ? keyword.Substring(context.Length + 1, length)
            : null;
    }

    /// <summary>
    /// An entry's own text read off its payload: <see cref="OwnText"/>, else the text field of the payload's entry (read
    /// without decoding the entry); null when the payload holds neither.
    /// </summary>
    public static string? TextOf(JsonObject payload) =>
        OwnText(payload) ?? (payload[EntryKey]?["text"] is JsonValue text && text.TryGetValue<string>(out var own) ? own : null);

    /// <summary>The context a stored point carries (text and the id of the entry it came from), or null.</summary>
    private static (string? Text, string? From)? ContextOf(JsonObject payload) =>
        payload[ContextKey] is JsonValue c && c.TryGetValue<string>(out var text)
            ? (text, payload[ContextFromKey] is JsonValue f && f.TryGetValue<string>(out var from) ? from : null)
            : null;

    private static JsonObject Payload(MemoryEntry e, string? session = null, int sequence = 0, (string? Text, string? From)? context = null)
    {
        var payload = new JsonObject
        {
            [VectorPayloadKeys.AgentId] = e.AgentId,
            [VectorPayloadKeys.Type] = Name(e.Type),
            [VectorPayloadKeys.Text] = KeywordText(e.Text, context?.Text),
            [VectorPayloadKeys.CreatedAt] = e.CreatedAt.ToUnixTimeMilliseconds(),
            [EntryKey] = JsonSerializer.SerializeToNode(e, MaximusJson.Options),
            [ActorKey] = e.Actor,
            [WordsKey] = Hybrid.HybridRetriever.WordCount(e.Text),
            [AsksKey] = Hybrid.HybridRetriever.EndsAsking(e.Text),
            [MentionsTimeKey] = Hybrid.HybridRetriever.MentionsTime(e.Text),
        };
        if (e.ExpiresAt is { } expires)
        {
            payload[VectorPayloadKeys.ExpiresAt] = expires.ToUnixTimeMilliseconds();
        }

        if (e.Procedure is { } procedure)
        {
            payload[SuccessesKey] = procedure.Successes;
            payload[FailuresKey] = procedure.Failures;
        }

        if (e.Fact is { } f)
        {
            payload[SubjectKey] = f.Subject;
            payload[ObjectKey] = f.Object;
            payload[ValidKey] = f.InvalidatedAt is null ? "true" : "false";
            SetTime(payload, ValidFromKey, f.ValidFrom);
            SetTime(payload, ValidToKey, f.ValidTo);
            SetTime(payload, RecordedAtKey, f.RecordedAt);
            SetTime(payload, InvalidatedAtKey, f.InvalidatedAt);
        }

        foreach (var (key, value) in e.Tags ?? new Dictionary<string, string>())
        {
            payload[TagKey(key)] = value;
        }

        if (e.Type == MemoryType.Episodic)
        {
            SetTime(payload, OccurredAtKey, e.OccurredAt);
            payload[EntitiesKey] = new JsonArray([.. Hybrid.EntityExtractor.Extract(e.Text).Select(x => (JsonNode)x)]);
        }

        if (context is { Text: { Length: > 0 } contextText } c)
        {
            payload[ContextKey] = contextText;
            if (c.From is { } from)
            {
                payload[ContextFromKey] = from;
            }
        }

        if (session is not null)
        {
            payload[SessionKey] = session;
            payload[SequenceKey] = sequence;
            payload[PlaceKey] = Place(session, sequence);
        }

        return payload;
    }

    private static void SetTime(JsonObject payload, string key, DateTimeOffset? value)
    {
        if (value is { } at)
        {
            payload[key] = at.ToUnixTimeMilliseconds();
        }
    }

    private static MemoryEntry? Entry(JsonObject? payload) =>
        payload?[EntryKey] is JsonObject node ? node.Deserialize<MemoryEntry>(MaximusJson.Options) : null;

    private void Validate(WriteMemoryRequest request)
    {
        if (request.Type is MemoryType.Core or MemoryType.Vault || !Enum.IsDefined(request.Type))
        {
            throw ProblemException.Invalid("type", "must be episodic, semantic, procedural or resource (core blocks and the vault have their own APIs).");
        }

        if (string.IsNullOrWhiteSpace(request.Text))
        {
            throw ProblemException.Invalid("text", "is required.");
        }

        if (request.Text.Length > _options.MaxTextChars)
        {
            throw ProblemException.Invalid("text", $"must be at most {_options.MaxTextChars} characters.");
        }

        if (request.Id is { } id && (id.Length is 0 or > MaxEntryIdLength || id.Contains(':', StringComparison.Ordinal)))
        {
            throw ProblemException.Invalid("id", $"must be 1 to {MaxEntryIdLength} characters without ':'.");
        }

        if (request.Type == MemoryType.Semantic && (request.Fact is null || string.IsNullOrWhiteSpace(request.Fact.Subject)
            || string.IsNullOrWhiteSpace(request.Fact.Predicate) || string.IsNullOrWhiteSpace(request.Fact.Object)))
        {
            throw ProblemException.Invalid("fact", "a semantic entry needs a fact with subject, predicate and object.");
        }

        if (request.Fact is { ValidFrom: { } from, ValidTo: { } to } && to <= from)
        {
            throw ProblemException.Invalid("fact.validTo", "must be after fact.validFrom.");
        }

        if (request.Type == MemoryType.Procedural && (request.Procedure is null || string.IsNullOrWhiteSpace(request.Procedure.GoalPattern)))
        {
            throw ProblemException.Invalid("procedure", "a procedural entry needs a procedure with a goal pattern and steps.");
        }

        if (request.Procedure is { } procedure && (procedure.Successes < 0 || procedure.Failures < 0))
        {
            throw ProblemException.Invalid(procedure.Successes < 0 ? "procedure.successes" : "procedure.failures", "must not be negative.");
        }

        if (request.Vector is { } v && v.Any(x => !float.IsFinite(x)))
        {
            throw ProblemException.Invalid("vector", "must hold finite numbers only.");
        }

        ValidateTags(request.Tags);
    }

    private static void ValidateTags(IReadOnlyDictionary<string, string>? tags)
    {
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            if (key.Length is 0 or > 64 || !char.IsAsciiLetter(key[0]) || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || value is null)
            {
                throw ProblemException.Invalid("tags", $"key '{key}' must start with a letter and hold letters, digits or '_' (at most 64), with a value.");
            }
        }
    }

    private static IReadOnlyList<MemoryType> ValidateSearch(SearchMemoryRequest request, int dimension)
    {

        if (request.Vector is null && string.IsNullOrWhiteSpace(request.Query))
        {
            throw ProblemException.Invalid("query", "is required (or give a vector).");
        }

        if (request.K is < 1 or > 100)
        {
            throw ProblemException.Invalid("k", "must be from 1 to 100.");
        }

        if (request.Vector is { } v && v.Length != dimension)
        {
            throw ProblemException.Invalid("vector", $"has {v.Length} dimensions; this memory's embedding model has {dimension}.");
        }

        ValidateTags(request.Tags);
        var types = request.Types is { Count: > 0 } t ? t.Distinct().ToList() : [.. Searchable];
        if (types.Any(type => !Searchable.Contains(type)))
        {
            throw ProblemException.Invalid("types", "can hold episodic, semantic, procedural and resource (core blocks and the vault are read by their own APIs).");
        }

        return types;
    }

    private static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "the", "and", "for", "with", "what", "when", "where", "who", "whom", "which", "why", "how", "did", "does", "was", "were",
        "are", "is", "has", "have", "had", "that", "this", "these", "those", "from", "about", "into", "onto", "than", "then",
        "there", "their", "they", "them", "you", "your", "our", "his", "her", "its", "can", "could", "would", "should", "will",
        "not", "any", "all", "some", "ever", "last", "first",
    };

    /// <summary>
    /// A cached search answer, kept as its JSON until it is asked for again: one array a garbage collection copies in one
    /// move, where the answer's object graph (entries, strings, tags) is hundreds of objects to trace and promote — under
    /// distinct queries at 16 clients, collections of ~25 ms that every search in flight waited out. The first repeat
    /// decodes it once and keeps the objects (an answer asked for again is likely asked for often).
    /// </summary>
    private sealed class CachedAnswer(byte[] json)
    {
        private byte[]? _json = json;
        private SearchMemoryResponse? _answer;

        public SearchMemoryResponse? Answer
        {
            get
            {
                if (Volatile.Read(ref _answer) is { } answer)
                {
                    return answer;
                }

                // Two first repeats at once may both decode (the same answer either way); the JSON goes once an answer is
                // published, so a reader that finds no JSON finds the answer.
                if (Volatile.Read(ref _json) is not { } bytes)
                {
                    return Volatile.Read(ref _answer);
                }

                Interlocked.CompareExchange(ref _answer, JsonSerializer.Deserialize<SearchMemoryResponse>(bytes, MaximusJson.Options), null);
                Volatile.Write(ref _json, null);
                return Volatile.Read(ref _answer);
            }
        }
    }
}
