using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Lexical;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The in-memory side of one embedded collection, loaded from SQLite: every vector in one f32 arena indexed by slot
/// (a slot is stored with the point, so it is stable across restarts and is the HNSW key), the id of every slot,
/// posting lists of keyword payload indexes, a number per slot for numeric indexes, and the HNSW index when the
/// collection is large enough. Guarded by <see cref="Lock"/>: searches read concurrently, writes are exclusive.
/// </summary>
internal sealed class CollectionState : IDisposable
{
    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly Stack<int> _free = new();
    private readonly Dictionary<string, KeywordIndex> _keywords = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double[]> _numbers = new(StringComparer.Ordinal);
    private float[] _vectors = [];
    private string?[] _ids = [];
    private byte[]?[] _payloadUtf8 = [];
    private string?[] _partitionBySlot = [];
    private int _capacity;
    private int _bulkLoads;

    public CollectionState(string name, int dimension, VectorDistance distance, IReadOnlyDictionary<string, PayloadIndexKind> indexes)
    {
        Name = name;
        Dimension = dimension;
        Distance = distance;
        Indexes = new Dictionary<string, PayloadIndexKind>(indexes, StringComparer.Ordinal);
        foreach (var (key, kind) in Indexes)
        {
            AddIndexStructure(key, kind);
        }

        TenantKey = Indexes.Where(p => p.Value == PayloadIndexKind.Tenant).Select(p => p.Key).Order(StringComparer.Ordinal).FirstOrDefault();
    }

    public string Name { get; }

    public int Dimension { get; }

    public VectorDistance Distance { get; }

    public Dictionary<string, PayloadIndexKind> Indexes { get; }

    /// <summary>The payload key indexed for keyword search (its FTS5 table is in the same file), or null.</summary>
    public string? TextField { get; set; }

    /// <summary>The keyword index of <see cref="TextField"/>, kept by <see cref="Set"/> and <see cref="Remove"/> (empty without a text field).</summary>
    public TermIndex Text { get; } = new();

    /// <summary>The embedding model recorded for the vectors (column <c>embedding_model</c>), or null.</summary>
    public string? EmbeddingModel { get; set; }

    public ReaderWriterLockSlim Lock { get; } = new(LockRecursionPolicy.NoRecursion);

    /// <summary>Incremented (in SQLite and here) by every committed change.</summary>
    public long Version { get; set; }

    /// <summary>The collection version the persisted index file matches (null: no valid file).</summary>
    public long? IndexVersion { get; set; }

    public bool Deleted { get; set; }

    /// <summary>Set by <see cref="Dispose"/>: the store was closed; an operation that reaches the state afterwards is refused.</summary>
    public bool Closed { get; private set; }

    public int Count => _slotById.Count;

    /// <summary>One past the highest slot ever used.</summary>
    public int HighWater { get; private set; }

    /// <summary>
    /// The tenant payload key (the first index of kind <see cref="PayloadIndexKind.Tenant"/>), or null. With a tenant key,
    /// every tenant value is a partition with an HNSW index of its own, so that a tenant-filtered search walks only that
    /// tenant's graph; points without a (single) tenant value form the partition "".
    /// </summary>
    public string? TenantKey { get; private set; }

    /// <summary>Partitions by name (the tenant value, or "" for everything else).</summary>
    public Dictionary<string, Partition> Partitions { get; } = new(StringComparer.Ordinal);

    /// <summary>Serialises index saves.</summary>
    public Lock SaveGate { get; } = new();

    /// <summary>Any partition is building.</summary>
    public bool Building => Partitions.Values.Any(p => p.Building);

    /// <summary>The background build(s) running, if any.</summary>
    public Task? BuildTask { get; set; }

    /// <summary>A bulk load is running (see <see cref="EmbeddedVectorStore.BeginBulkLoad"/>): index builds wait for its end.</summary>
    public bool BulkLoading => Volatile.Read(ref _bulkLoads) > 0;

    public void EnterBulkLoad() => Interlocked.Increment(ref _bulkLoads);

    /// <summary>Ends one bulk load; true when it was the last one.</summary>
    public bool ExitBulkLoad() => Interlocked.Decrement(ref _bulkLoads) == 0;

    public bool IsLive(int slot) => slot < HighWater && _ids[slot] is not null;

    public string IdOf(int slot) => _ids[slot]!;

    /// <summary>A live slot's payload as stored (UTF-8 JSON): searches answer from memory, SQLite stays the source of truth.</summary>
    public byte[] PayloadOf(int slot) => _payloadUtf8[slot]!;

    public bool TryGetSlot(string id, out int slot) => _slotById.TryGetValue(id, out slot);

    public ReadOnlySpan<float> VectorOf(int slot) => _vectors.AsSpan(slot * Dimension, Dimension);

    public IEnumerable<int> LiveSlots()
    {
        for (var slot = 0; slot < HighWater; slot++)
        {
            if (_ids[slot] is not null)
            {
                yield return slot;
            }
        }
    }

    /// <summary>A slot for a new id: a freed one first, else the next fresh one. <see cref="ReleaseSlot"/> undoes it.</summary>
    public int AllocateSlot()
    {
        if (_free.Count > 0)
        {
            return _free.Pop();
        }

        EnsureCapacity(HighWater + 1);
        return HighWater++;
    }

    public void ReleaseSlot(int slot)
    {
        if (slot == HighWater - 1 && _ids[slot] is null)
        {
            HighWater--;
        }
        else
        {
            _free.Push(slot);
        }
    }

    /// <summary>After a load: every slot below the high-water mark without a point is free.</summary>
    public void RebuildFreeList()
    {
        _free.Clear();
        for (var slot = HighWater - 1; slot >= 0; slot--)
        {
            if (_ids[slot] is null)
            {
                _free.Push(slot);
            }
        }
    }

    /// <summary>
    /// Makes room for <paramref name="points"/> points in slots below <paramref name="slots"/> at once (before a load), so
    /// that no array grows by copying while they are set.
    /// </summary>
    public void Reserve(int points, int slots)
    {
        EnsureCapacity(slots);
        _slotById.EnsureCapacity(points);
    }

    /// <summary>
    /// The part of a stored payload that <see cref="Set"/> reads: its indexed keys and the text field, as a small object
    /// (the rest of the payload, such as a fact or a procedure, is skipped, not parsed into nodes). A load parses each
    /// stored payload only this far; the bytes are kept whole for the answers.
    /// </summary>
    public JsonObject IndexedFields(byte[] payloadUtf8)
    {
        var fields = new JsonObject();
        var reader = new System.Text.Json.Utf8JsonReader(payloadUtf8);
        if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            throw new System.Text.Json.JsonException($"A stored payload of collection {Name} is not a JSON object.");
        }

        while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            if (Indexes.ContainsKey(name) || string.Equals(name, TextField, StringComparison.Ordinal))
            {
                // Strings and numbers (what indexes read) as values of their own, without a document behind each.
                fields[name] = reader.TokenType switch
                {
                    System.Text.Json.JsonTokenType.String => JsonValue.Create(reader.GetString()),
                    System.Text.Json.JsonTokenType.Number when reader.TryGetDouble(out var number) => JsonValue.Create(number),
                    _ => JsonNode.Parse(ref reader),
                };
            }
            else
            {
                reader.Skip();
            }
        }

        return fields;
    }

    /// <summary>
    /// A load's first half of <see cref="Set"/> for a slot not used yet (after <see cref="Reserve"/>): id, payload and vector.
    /// Touches none of what <see cref="IndexLoaded"/> writes, so the two halves of different points run on two threads.
    /// </summary>
    public void StoreLoaded(int slot, string id, ReadOnlySpan<float> vector, byte[] payloadUtf8)
    {
        if (slot >= _capacity || _ids[slot] is not null || !_slotById.TryAdd(id, slot))
        {
            throw new InvalidDataException($"Collection {Name}: point '{id}' in slot {slot} repeats a slot or an id, or lies past the slots reserved.");
        }

        HighWater = Math.Max(HighWater, slot + 1);
        _ids[slot] = id;
        _payloadUtf8[slot] = payloadUtf8;
        vector.CopyTo(_vectors.AsSpan(slot * Dimension, Dimension));
    }

    /// <summary>
    /// The second half of <see cref="Set"/> (and of a load, after <see cref="StoreLoaded"/>): the slot's payload indexes,
    /// keyword terms and partition, from the payload or the part of it that <see cref="IndexedFields"/> reads.
    /// </summary>
    public void IndexLoaded(int slot, JsonObject indexedFields)
    {
        AddToIndexes(slot, indexedFields);
        SetText(slot, indexedFields);
        var partition = PartitionName(slot);
        _partitionBySlot[slot] = partition;
        PartitionFor(partition).Slots.Add(slot);
    }

    /// <summary>Stores a point in memory (vector already prepared); replaces the slot's previous content.</summary>
    public void Set(int slot, string id, ReadOnlySpan<float> vector, JsonObject payload, byte[] payloadUtf8)
    {
        EnsureCapacity(slot + 1);
        HighWater = Math.Max(HighWater, slot + 1);
        if (_ids[slot] is { } previous)
        {
            RemoveFromPartition(slot);
            RemoveFromIndexes(slot);
            _slotById.Remove(previous);
        }

        _ids[slot] = id;
        _payloadUtf8[slot] = payloadUtf8;
        _slotById[id] = slot;
        vector.CopyTo(_vectors.AsSpan(slot * Dimension, Dimension));
        IndexLoaded(slot, payload);
    }

    /// <summary>The partition a live slot is in.</summary>
    public string PartitionOf(int slot) => _partitionBySlot[slot] ?? string.Empty;

    public Partition PartitionFor(string name)
    {
        if (!Partitions.TryGetValue(name, out var partition))
        {
            Partitions[name] = partition = new Partition(name);
        }

        return partition;
    }

    public void Remove(int slot)
    {
        if (_ids[slot] is not { } id)
        {
            return;
        }

        RemoveFromPartition(slot);
        RemoveFromIndexes(slot);
        Text.Remove(slot);
        _slotById.Remove(id);
        _ids[slot] = null;
        _payloadUtf8[slot] = null;
        _vectors.AsSpan(slot * Dimension, Dimension).Clear();
        _free.Push(slot);
    }

    /// <summary>Indexes every payload's text anew under <see cref="TextField"/> (after the field is set or changed).</summary>
    public void RebuildText(IEnumerable<(int Slot, JsonObject Payload)> payloads)
    {
        Text.Clear();
        foreach (var (slot, payload) in payloads)
        {
            SetText(slot, payload);
        }
    }

    private void SetText(int slot, JsonObject payload)
    {
        if (TextField is { } field)
        {
            Text.Set(slot, payload[field] is JsonValue value && value.TryGetValue<string>(out var text) ? LexicalText.DocumentTerms(text) : null);
        }
    }

    private void RemoveFromPartition(int slot)
    {
        if (_partitionBySlot[slot] is { } name && Partitions.TryGetValue(name, out var partition))
        {
            partition.Slots.Remove(slot);
        }

        _partitionBySlot[slot] = null;
    }

    private string PartitionName(int slot)
    {
        if (TenantKey is null)
        {
            return string.Empty;
        }

        var values = _keywords[TenantKey].ValuesBySlot[slot];
        return values is [var single] ? single : string.Empty;
    }

    /// <summary>Adds a payload index over points already loaded (their payloads are passed in by slot).</summary>
    public void AddPayloadIndex(string key, PayloadIndexKind kind, IEnumerable<(int Slot, JsonObject Payload)> payloads)
    {
        Indexes[key] = kind;
        AddIndexStructure(key, kind);
        foreach (var (slot, payload) in payloads)
        {
            payload.TryGetPropertyValue(key, out var node);
            IndexValue(key, slot, node);
        }
    }

    /// <summary>
    /// Compiles a filter against the in-memory indexes. Conditions on keys without an index become the residual, which
    /// the store evaluates on payloads read from SQLite.
    /// </summary>
    public FilterPlan Compile(VectorFilter? filter)
    {
        if (filter is null || filter.IsEmpty)
        {
            return FilterPlan.Unfiltered;
        }

        var checks = new List<Func<int, bool>>();
        // Range checks read one number from an array: they run before the set lookups, so a narrow range (a time window)
        // turns most slots away at the cheapest check.
        var ranges = new List<Func<int, bool>>();
        var residual = new List<(VectorCondition Condition, bool Negated)>();
        IReadOnlyCollection<int>? driver = null;
        var driverSize = long.MaxValue;
        var impossible = false;

        foreach (var condition in filter.Must)
        {
            if (Keyword(condition.Key) is { } keyword)
            {
                var sets = condition switch
                {
                    MatchCondition match => keyword.Postings.TryGetValue(match.Value, out var set) ? [set] : Array.Empty<HashSet<int>>(),
                    MatchAnyCondition any => [.. any.Values.Distinct(StringComparer.Ordinal)
                        .Select(v => keyword.Postings.GetValueOrDefault(v)).OfType<HashSet<int>>()],
                    _ => null,
                };
                if (sets is null)
                {
                    residual.Add((condition, false));
                    continue;
                }

                if (sets.Length == 0)
                {
                    impossible = true;
                    break;
                }

                var size = sets.Sum(s => (long)s.Count);
                if (size < driverSize)
                {
                    driverSize = size;
                    driver = sets.Length == 1 ? sets[0] : new UnionView(sets, size);
                }

                checks.Add(InAny(sets));
            }
            else if (condition is RangeCondition range && _numbers.TryGetValue(condition.Key, out var numbers))
            {
                ranges.Add(slot => PayloadValues.InRange(numbers[slot], range));
            }
            else
            {
                residual.Add((condition, false));
            }
        }

        foreach (var condition in filter.MustNot)
        {
            if (Keyword(condition.Key) is { } keyword && condition is MatchCondition or MatchAnyCondition)
            {
                var values = condition is MatchCondition m ? [m.Value] : ((MatchAnyCondition)condition).Values;
                var sets = values.Select(v => keyword.Postings.GetValueOrDefault(v)).OfType<HashSet<int>>().ToArray();
                if (sets.Length > 0)
                {
                    var inAny = InAny(sets);
                    checks.Add(slot => !inAny(slot));
                }
            }
            else if (condition is RangeCondition range && _numbers.TryGetValue(condition.Key, out var numbers))
            {
                ranges.Add(slot => !PayloadValues.InRange(numbers[slot], range));
            }
            else
            {
                residual.Add((condition, true));
            }
        }

        if (impossible)
        {
            return FilterPlan.Impossible;
        }

        Func<int, bool>[] all = [.. ranges, .. checks];
        Func<int, bool> predicate = all.Length switch
        {
            0 => static _ => true,
            1 => all[0],
            _ => slot =>
            {
                foreach (var check in all)
                {
                    if (!check(slot))
                    {
                        return false;
                    }
                }

                return true;
            },
        };
        return new FilterPlan(false, false, driver, predicate, residual);
    }

    /// <summary>The live slots that pass the in-memory part of the plan (the residual is not applied here).</summary>
    public List<int> Candidates(FilterPlan plan)
    {
        var result = new List<int>();
        if (plan.Nothing)
        {
            return result;
        }

        if (plan.Driver is { } driver)
        {
            foreach (var slot in driver)
            {
                if (plan.Predicate(slot))
                {
                    result.Add(slot);
                }
            }

            if (driver is UnionView)
            {
                // A slot in several posting lists of a match-any appears once.
                result.Sort();
                var distinct = 0;
                for (var i = 0; i < result.Count; i++)
                {
                    if (i == 0 || result[i] != result[i - 1])
                    {
                        result[distinct++] = result[i];
                    }
                }

                result.RemoveRange(distinct, result.Count - distinct);
            }

            return result;
        }

        foreach (var slot in LiveSlots())
        {
            if (plan.Predicate(slot))
            {
                result.Add(slot);
            }
        }

        return result;
    }

    /// <summary>An upper bound of the points that pass the in-memory part of the plan.</summary>
    public long EstimateCandidates(FilterPlan plan) =>
        plan.Nothing ? 0 : plan.Driver is { } driver ? driver.Count : Count;

    /// <summary>
    /// An estimate of how many slots of <paramref name="partition"/> pass <paramref name="predicate"/>: the predicate run on
    /// the live slots of the partition among <paramref name="samples"/> slots spread evenly over the slot range (a search
    /// that names one tenant still meets the other tenants' slots there). A range condition on a payload number has no
    /// posting list to count, so a plan alone cannot tell a narrow time window from a wide one. Null when too few of the
    /// partition's slots were met to tell (a small partition among many).
    /// </summary>
    public long? EstimatePassing(Partition partition, Func<int, bool> predicate, int samples = 512)
    {
        var high = HighWater;
        var step = Math.Max(1, high / samples);
        int seen = 0, passed = 0;
        for (var slot = 0; slot < high; slot += step)
        {
            if (_ids[slot] is null || PartitionOf(slot) != partition.Name)
            {
                continue;
            }

            seen++;
            passed += predicate(slot) ? 1 : 0;
        }

        return seen < 32 ? null : (long)Math.Ceiling((double)partition.Slots.Count * passed / seen);
    }

    /// <summary>Exact top-k by scoring every slot given (or every live slot) against the query.</summary>
    public void ExactTopK(ReadOnlySpan<float> query, IEnumerable<int>? slots, Func<int, bool>? predicate, TopK top)
    {
        if (slots is null)
        {
            var dimension = Dimension;
            var vectors = _vectors;
            for (var slot = 0; slot < HighWater; slot++)
            {
                if (_ids[slot] is not null && (predicate is null || predicate(slot)))
                {
                    top.Add(slot, TensorPrimitives.Dot(query, vectors.AsSpan(slot * dimension, dimension)));
                }
            }

            return;
        }

        foreach (var slot in slots)
        {
            if (predicate is null || predicate(slot))
            {
                top.Add(slot, Score(query, slot));
            }
        }
    }

    public float Score(ReadOnlySpan<float> query, int slot) =>
        TensorPrimitives.Dot(query, _vectors.AsSpan(slot * Dimension, Dimension));

    /// <summary>
    /// Closes the state when its store is disposed: waits, under the write lock, for the searches and writes inside it to
    /// finish, then frees the HNSW indexes (native memory: freeing one while a search walks it would crash the process).
    /// Operations that take the lock afterwards see <see cref="Closed"/>. The lock itself is not disposed: a caller may
    /// still be waiting for it, and disposing a lock with waiters throws; it holds no native resource.
    /// </summary>
    public void Dispose()
    {
        Lock.EnterWriteLock();
        try
        {
            Closed = true;
            foreach (var partition in Partitions.Values)
            {
                partition.Index?.Dispose();
                partition.Index = null;
            }
        }
        finally
        {
            Lock.ExitWriteLock();
        }
    }

    private static Func<int, bool> InAny(HashSet<int>[] sets) => sets.Length == 1
        ? sets[0].Contains
        : slot =>
        {
            foreach (var set in sets)
            {
                if (set.Contains(slot))
                {
                    return true;
                }
            }

            return false;
        };

    private KeywordIndex? Keyword(string key) => _keywords.GetValueOrDefault(key);

    private void AddIndexStructure(string key, PayloadIndexKind kind)
    {
        if (kind is PayloadIndexKind.Keyword or PayloadIndexKind.Tenant)
        {
            _keywords.TryAdd(key, new KeywordIndex(_capacity));
        }
        else if (!_numbers.ContainsKey(key))
        {
            var numbers = new double[_capacity];
            numbers.AsSpan().Fill(double.NaN);
            _numbers[key] = numbers;
        }
    }

    private void AddToIndexes(int slot, JsonObject payload)
    {
        foreach (var key in Indexes.Keys)
        {
            payload.TryGetPropertyValue(key, out var node);
            IndexValue(key, slot, node);
        }
    }

    private void IndexValue(string key, int slot, JsonNode? node)
    {
        if (_keywords.TryGetValue(key, out var keyword))
        {
            var values = node is JsonValue single && single.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? [single.GetValue<string>()]
                : PayloadValues.Keywords(node).Distinct(StringComparer.Ordinal).ToArray();
            keyword.ValuesBySlot[slot] = values.Length == 0 ? null : values;
            foreach (var value in values)
            {
                if (!keyword.Postings.TryGetValue(value, out var set))
                {
                    keyword.Postings[value] = set = [];
                }

                set.Add(slot);
            }
        }
        else if (_numbers.TryGetValue(key, out var numbers))
        {
            numbers[slot] = PayloadValues.Number(node);
        }
    }

    private void RemoveFromIndexes(int slot)
    {
        foreach (var keyword in _keywords.Values)
        {
            if (keyword.ValuesBySlot[slot] is { } values)
            {
                foreach (var value in values)
                {
                    if (keyword.Postings.TryGetValue(value, out var set) && set.Remove(slot) && set.Count == 0)
                    {
                        keyword.Postings.Remove(value);
                    }
                }

                keyword.ValuesBySlot[slot] = null;
            }
        }

        foreach (var numbers in _numbers.Values)
        {
            numbers[slot] = double.NaN;
        }
    }

    private void EnsureCapacity(int slots)
    {
        if (slots <= _capacity)
        {
            return;
        }

        var capacity = Math.Max(slots, Math.Max(1024, _capacity * 2));
        Array.Resize(ref _vectors, checked(capacity * Dimension));
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _payloadUtf8, capacity);
        Array.Resize(ref _partitionBySlot, capacity);
        foreach (var keyword in _keywords.Values)
        {
            keyword.Resize(capacity);
        }

        foreach (var key in _numbers.Keys.ToList())
        {
            var numbers = _numbers[key];
            var old = numbers.Length;
            Array.Resize(ref numbers, capacity);
            numbers.AsSpan(old).Fill(double.NaN);
            _numbers[key] = numbers;
        }

        _capacity = capacity;
    }

    private sealed class KeywordIndex(int capacity)
    {
        public Dictionary<string, HashSet<int>> Postings { get; } = new(StringComparer.Ordinal);

        public string[]?[] ValuesBySlot { get; private set; } = new string[]?[capacity];

        public void Resize(int capacity)
        {
            var values = ValuesBySlot;
            Array.Resize(ref values, capacity);
            ValuesBySlot = values;
        }
    }

    /// <summary>The posting lists of a match-any, iterated one after the other (a slot may repeat).</summary>
    private sealed class UnionView(HashSet<int>[] sets, long count) : IReadOnlyCollection<int>
    {
        public int Count { get; } = (int)Math.Min(int.MaxValue, count);

        public IEnumerator<int> GetEnumerator() => sets.SelectMany(s => s).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A compiled filter: <see cref="Predicate"/> checks the indexed conditions of a slot, <see cref="Driver"/> (when set) is
/// the smallest posting list every passing slot is in, and <see cref="Residual"/> lists conditions on keys without an
/// index (evaluated on payloads).
/// </summary>
internal sealed record FilterPlan(
    bool Everything,
    bool Nothing,
    IReadOnlyCollection<int>? Driver,
    Func<int, bool> Predicate,
    IReadOnlyList<(VectorCondition Condition, bool Negated)> Residual)
{
    public static FilterPlan Unfiltered { get; } = new(true, false, null, static _ => true, []);

    public static FilterPlan Impossible { get; } = new(false, true, null, static _ => false, []);
}

/// <summary>The k best (slot, score) pairs seen so far, by a min-heap of the scores.</summary>
internal sealed class TopK(int k)
{
    private readonly PriorityQueue<int, float> _heap = new(k + 1);

    public int Count => _heap.Count;

    public void Add(int slot, float score)
    {
        if (_heap.Count < k)
        {
            _heap.Enqueue(slot, score);
        }
        else if (_heap.TryPeek(out _, out var worst) && score > worst)
        {
            _heap.DequeueEnqueue(slot, score);
        }
    }

    /// <summary>Best first.</summary>
    public List<(int Slot, float Score)> Drain()
    {
        var result = new List<(int, float)>(_heap.Count);
        while (_heap.TryDequeue(out var slot, out var score))
        {
            result.Add((slot, score));
        }

        result.Reverse();
        return result;
    }
}

/// <summary>One HNSW partition of a collection (a tenant's points, or all points without a tenant key).</summary>
internal sealed class Partition(string name)
{
    public string Name { get; } = name;

    /// <summary>The live slots of the partition.</summary>
    public HashSet<int> Slots { get; } = [];

    public UsearchIndex? Index { get; set; }

    /// <summary>Set while a build runs: slots changed meanwhile, replayed into the new index at the end.</summary>
    public HashSet<int>? Dirty { get; set; }

    public bool Building => Dirty is not null;

    public bool Ready => Index is not null && Dirty is null;

    public bool LoadedFromDisk { get; set; }

    public TimeSpan? LastBuildDuration { get; set; }
}
