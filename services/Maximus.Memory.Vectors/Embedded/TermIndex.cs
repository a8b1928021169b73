using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Maximus.Memory.Vectors.Embedded;

/// <summary>
/// The in-memory side of a collection's keyword index: per term, the slots holding it and how often; per slot, its
/// distinct terms and its length in terms. Searched instead of the FTS5 table (which stays the persisted copy, written in
/// the same transaction as the point), because FTS5 scores every row that holds any query term before the filter can
/// apply: at 100k points a question with a common word scored tens of thousands of rows (~8 µs each). Here a search
/// walks the query terms' postings once, keeps the slots the filter accepts, and selects the best with a bounded heap.
/// The score is FTS5's <c>bm25()</c> (k1 = 1.2, b = 0.75, idf = ln((N − n + 0.5) / (n + 0.5)) floored at 1e-6, N and the
/// average length over the whole collection, one summand per query term, a repeated term counting again), so the
/// ranking is the one FTS5 gave. Terms are walked rarest first (by the most they can add to a score), and once the
/// best scores so far beat all that the remaining terms could add, those terms' postings are no longer walked: the slots
/// met so far gain them by lookup (max-score pruning: a question's common words no longer visit tens of thousands of
/// slots at 100k points; the result is the same). Guarded by the collection's lock like the rest of <see cref="CollectionState"/>.
/// </summary>
internal sealed class TermIndex
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>Per term, the slots holding it: how often, and the slot's length in terms (so a search reads no other table).</summary>
    private readonly Dictionary<string, Postings> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string[] Terms, int Length)> _documents = [];
    private long _totalLength;

    /// <summary>The term counts of the document being set (one dictionary for every call: writes hold the collection's lock).</summary>
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    private long _prunedSearches;

    /// <summary>How many searches stopped walking postings before the last query term (for tests).</summary>
    internal long PrunedSearches => Interlocked.Read(ref _prunedSearches);

    /// <summary>Documents (slots with at least one term).</summary>
    public int Count => _documents.Count;

    /// <summary>Replaces the terms of a slot (null or empty: the slot has none).</summary>
    public void Set(int slot, IReadOnlyList<string>? terms)
    {
        Remove(slot);
        if (terms is null || terms.Count == 0)
        {
            return;
        }

        var counts = _counts;
        counts.Clear();
        foreach (var term in terms)
        {
            counts[term] = counts.GetValueOrDefault(term) + 1;
        }

        foreach (var (term, count) in counts)
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                _postings[term] = postings = new Postings();
            }

            postings.Slots[slot] = (count, terms.Count);
            postings.MaxFrequency = Math.Max(postings.MaxFrequency, count);
            postings.MinLength = Math.Min(postings.MinLength, terms.Count);
        }

        _documents[slot] = ([.. counts.Keys], terms.Count);
        _totalLength += terms.Count;
    }

    public void Remove(int slot)
    {
        if (!_documents.Remove(slot, out var document))
        {
            return;
        }

        _totalLength -= document.Length;
        foreach (var term in document.Terms)
        {
            if (_postings.TryGetValue(term, out var postings) && postings.Slots.Remove(slot) && postings.Slots.Count == 0)
            {
                _postings.Remove(term);
            }
        }
    }

    public void Clear()
    {
        _postings.Clear();
        _documents.Clear();
        _totalLength = 0;
    }

    /// <summary>
    /// The <paramref name="limit"/> best slots holding any of the query terms that <paramref name="accept"/> lets through,
    /// by BM25 (higher is better), ties by id (<paramref name="idOf"/>) in ordinal order.
    /// </summary>
    /// <remarks>
    /// Compiled optimized at its first call (no tiers): its loops otherwise ran as tier-0 code long enough for the runtime to
    /// compile an on-stack replacement on the searching thread, 10-20 ms inside one question, measured with
    /// <c>JitInfo.GetCompilationTime(currentThread: true)</c> around the LoCoMo benchmark's slowest questions.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public List<(int Slot, double Score)> Search(IReadOnlyList<string> queryTerms, Func<int, bool> accept, int limit, Func<int, string> idOf)
    {
        var result = new List<(int Slot, double Score)>();
        if (_documents.Count == 0 || limit <= 0)
        {
            return result;
        }

        var rows = (double)_documents.Count;
        var averageLength = _totalLength / rows;

        // The query's terms held by some slot, with their idf and the most one of them can add to a score (its highest
        // frequency in its shortest slot), highest first; rest[i]: the most terms i.. can add together.
        var found = new List<(Postings Postings, double Idf, double Bound)>(queryTerms.Count);
        foreach (var term in queryTerms)
        {
            if (_postings.TryGetValue(term, out var postings))
            {
                var idf = Math.Log((rows - postings.Slots.Count + 0.5) / (postings.Slots.Count + 0.5));
                idf = idf <= 0 ? 1e-6 : idf;
                found.Add((postings, idf, idf * Saturation(postings.MaxFrequency, postings.MinLength, averageLength)));
            }
        }

        found.Sort((x, y) => y.Bound.CompareTo(x.Bound));
        var rest = new double[found.Count + 1];
        for (var i = found.Count - 1; i >= 0; i--)
        {
            rest[i] = rest[i + 1] + found[i].Bound;
        }

        // One entry per slot met: its score so far, or NaN once the filter refused it (one hash lookup a posting).
        var scores = new Dictionary<int, double>();
        var accepted = 0;
        var best = 0.0;
        var threshold = 0.0;
        var next = 0;
        for (; next < found.Count; next++)
        {
            // A slot not met yet holds none of the terms walked so far: it cannot enter once the limit-th best score so far
            // is above all the remaining terms could add.
            if (accepted >= limit && rest[next] < best && rest[next] < (threshold = LimitthBest(scores, limit)))
            {
                Interlocked.Increment(ref _prunedSearches);
                break;
            }

            var (postings, idf, _) = found[next];
            foreach (var (slot, (frequency, length)) in postings.Slots)
            {
                ref var score = ref CollectionsMarshal.GetValueRefOrAddDefault(scores, slot, out var met);
                if (!met && !accept(slot))
                {
                    score = double.NaN;
                }

                if (!double.IsNaN(score))
                {
                    accepted += met ? 0 : 1;
                    score += idf * Saturation(frequency, length, averageLength);
                    best = Math.Max(best, score);
                }
            }
        }

        var candidates = new List<(int Slot, double Score)>();
        foreach (var (slot, score) in scores)
        {
            // (After pruning, a slot that cannot reach the threshold even with every remaining term is left out.)
            if (!double.IsNaN(score) && score + rest[next] >= threshold)
            {
                candidates.Add((slot, score));
            }
        }

        var scored = CollectionsMarshal.AsSpan(candidates);
        for (var j = next; j < found.Count; j++)
        {
            var (postings, idf, _) = found[j];
            foreach (ref var candidate in scored)
            {
                if (postings.Slots.TryGetValue(candidate.Slot, out var posting))
                {
                    candidate.Score += idf * Saturation(posting.Frequency, posting.Length, averageLength);
                }
            }
        }

        // A min-heap of the best so far; its top is the worst kept (lower score, or the same score and a later id). A slot
        // below the worst kept when the heap is full cannot enter it: its id is not looked up.
        var heap = new PriorityQueue<int, (double Score, string Id)>(limit + 1, WorstFirst.Instance);
        foreach (var (slot, score) in candidates)
        {
            if (heap.Count == limit && heap.TryPeek(out _, out var worst) && score < worst.Score)
            {
                continue;
            }

            heap.Enqueue(slot, (score, idOf(slot)));
            if (heap.Count > limit)
            {
                heap.Dequeue();
            }
        }

        while (heap.TryDequeue(out var slot, out var priority))
        {
            result.Add((slot, priority.Score));
        }

        result.Reverse();
        return result;
    }

    /// <summary>BM25's term-frequency part: what one occurrence count in a slot of this length adds per unit of idf.</summary>
    private static double Saturation(int frequency, int length, double averageLength) =>
        frequency * (K1 + 1) / (frequency + (K1 * (1 - B + (B * length / averageLength))));

    /// <summary>The <paramref name="limit"/>-th best score among the slots met that the filter let through.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double LimitthBest(Dictionary<int, double> scores, int limit)
    {
        var lowest = new PriorityQueue<double, double>(limit + 1);
        foreach (var score in scores.Values)
        {
            if (double.IsNaN(score) || (lowest.Count == limit && score <= lowest.Peek()))
            {
                continue;
            }

            lowest.Enqueue(score, score);
            if (lowest.Count > limit)
            {
                lowest.Dequeue();
            }
        }

        return lowest.Count == limit ? lowest.Peek() : 0;
    }

    /// <summary>A term's postings (slot: frequency, slot length), and bounds that only widen as slots come and go.</summary>
    private sealed class Postings
    {
        public Dictionary<int, (int Frequency, int Length)> Slots { get; } = [];

        /// <summary>The highest frequency any slot has had (an upper bound: not lowered when that slot goes).</summary>
        public int MaxFrequency { get; set; }

        /// <summary>The shortest length of any slot that has held the term (a lower bound, likewise).</summary>
        public int MinLength { get; set; } = int.MaxValue;
    }

    private sealed class WorstFirst : IComparer<(double Score, string Id)>
    {
        public static WorstFirst Instance { get; } = new();

        public int Compare((double Score, string Id) x, (double Score, string Id) y)
        {
            var byScore = x.Score.CompareTo(y.Score);
            return byScore != 0 ? byScore : string.CompareOrdinal(y.Id, x.Id);
        }
    }
}
