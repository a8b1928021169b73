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
/// ranking is the one FTS5 gave. Guarded by the collection's lock like the rest of <see cref="CollectionState"/>.
/// </summary>
internal sealed class TermIndex
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>Per term, the slots holding it: how often, and the slot's length in terms (so a search reads no other table).</summary>
    private readonly Dictionary<string, Dictionary<int, (int Frequency, int Length)>> _postings = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (string[] Terms, int Length)> _documents = [];
    private long _totalLength;

    /// <summary>The term counts of the document being set (one dictionary for every call: writes hold the collection's lock).</summary>
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

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
                _postings[term] = postings = [];
            }

            postings[slot] = (count, terms.Count);
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
            if (_postings.TryGetValue(term, out var postings) && postings.Remove(slot) && postings.Count == 0)
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
    public List<(int Slot, double Score)> Search(IReadOnlyList<string> queryTerms, Func<int, bool> accept, int limit, Func<int, string> idOf)
    {
        var result = new List<(int Slot, double Score)>();
        if (_documents.Count == 0 || limit <= 0)
        {
            return result;
        }

        var rows = (double)_documents.Count;
        var averageLength = _totalLength / rows;

        // One entry per slot met: its score so far, or NaN once the filter refused it (one hash lookup a posting).
        var scores = new Dictionary<int, double>();
        foreach (var term in queryTerms)
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                continue;
            }

            var idf = Math.Log((rows - postings.Count + 0.5) / (postings.Count + 0.5));
            if (idf <= 0)
            {
                idf = 1e-6;
            }

            foreach (var (slot, (frequency, length)) in postings)
            {
                ref var score = ref CollectionsMarshal.GetValueRefOrAddDefault(scores, slot, out var met);
                if (!met && !accept(slot))
                {
                    score = double.NaN;
                }

                if (!double.IsNaN(score))
                {
                    score += idf * frequency * (K1 + 1) / (frequency + (K1 * (1 - B + (B * length / averageLength))));
                }
            }
        }

        // A min-heap of the best so far; its top is the worst kept (lower score, or the same score and a later id). A slot
        // below the worst kept when the heap is full cannot enter it: its id is not looked up.
        var heap = new PriorityQueue<int, (double Score, string Id)>(limit + 1, WorstFirst.Instance);
        foreach (var (slot, score) in scores)
        {
            if (double.IsNaN(score) || (heap.Count == limit && heap.TryPeek(out _, out var worst) && score < worst.Score))
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
