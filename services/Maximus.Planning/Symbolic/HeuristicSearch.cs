using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Maximus.Planning.Symbolic;

internal enum SearchStatus
{
    Solved,
    Exhausted,
    NodeLimit,
    TimeLimit,
}

internal enum TieBreaking
{
    Fifo,
    Lifo,
    Random,
}

internal sealed record SearchResult(SearchStatus Status, int[]? Plan)
{
    public static SearchResult Exhausted { get; } = new(SearchStatus.Exhausted, null);

    /// <summary>A search stopped by its budget (<see cref="SearchBudget.Charge"/>).</summary>
    public static SearchResult Stopped(SearchStatus status) => new(status, null);

    /// <summary>A plan: the actions from the root to <paramref name="node"/>.</summary>
    public static SearchResult Solved(NodeStore store, int node) => new(SearchStatus.Solved, store.PathTo(node));
}

/// <summary>Node and time budget of one search; cancellation throws <see cref="OperationCanceledException"/>.</summary>
internal sealed class SearchBudget(long nodeLimit, Stopwatch clock, long deadlineMs, CancellationToken cancellationToken)
{
    public long Expanded { get; private set; }

    /// <summary>Counts one expansion; returns why the search must stop, or null to go on.</summary>
    public SearchStatus? Charge()
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Expanded >= nodeLimit)
        {
            return SearchStatus.NodeLimit;
        }

        if (clock.ElapsedMilliseconds >= deadlineMs)
        {
            return SearchStatus.TimeLimit;
        }

        Expanded++;
        return null;
    }
}

/// <summary>Search nodes: states with their parent, the action that reached them and their cost.</summary>
internal sealed class NodeStore
{
    private readonly Dictionary<ulong[], int> _index = new(StateComparer.Instance);

    public List<ulong[]> States { get; } = [];

    public List<int> Parents { get; } = [];

    public List<int> Actions { get; } = [];

    public List<int> Costs { get; } = [];

    public int Add(ulong[] state, int parent, int action, int cost)
    {
        var id = States.Count;
        States.Add(state);
        Parents.Add(parent);
        Actions.Add(action);
        Costs.Add(cost);
        _index[state] = id;
        return id;
    }

    public bool TryGet(ulong[] state, out int id) => _index.TryGetValue(state, out id);

    public int[] PathTo(int node)
    {
        var path = new List<int>();
        for (var n = node; Parents[n] >= 0; n = Parents[n])
        {
            path.Add(Actions[n]);
        }

        path.Reverse();
        return [.. path];
    }
}

/// <summary>Orders entries of equal priority: first in first out, last in first out, or at random (seeded).</summary>
internal sealed class TieBreaker(TieBreaking tie, int seed)
{
    private readonly Random _random = new(seed);
    private long _counter;

    public long Next() => tie switch
    {
        TieBreaking.Lifo => -_counter++,
        TieBreaking.Random => _random.NextInt64(),
        _ => _counter++,
    };
}

/// <summary>
/// The open lists of a greedy search with helpful actions (as in Fast Downward): every entry goes to the open
/// list, entries reached through a helpful action also to the preferred list. The preferred list is taken every
/// other time, and every time while the boost earned by a new best heuristic value lasts.
/// </summary>
internal sealed class PreferredOpenLists<T>
{
    private const int PreferredBoost = 1000;

    private readonly PriorityQueue<T, (int, long)> _open = new();
    private readonly PriorityQueue<T, (int, long)> _preferred = new();
    private int _bestH = int.MaxValue;
    private int _boost;
    private int _turn;

    public void EnqueueOpen(T entry, int h, long tie) => _open.Enqueue(entry, (h, tie));

    public void EnqueuePreferred(T entry, int h, long tie) => _preferred.Enqueue(entry, (h, tie));

    public bool TryDequeue(out T entry)
    {
        if (_open.Count == 0 && _preferred.Count == 0)
        {
            entry = default!;
            return false;
        }

        var usePreferred = _preferred.Count > 0 && (_open.Count == 0 || _boost > 0 || (_turn++ & 1) == 0);
        if (usePreferred && _boost > 0)
        {
            _boost--;
        }

        entry = (usePreferred ? _preferred : _open).Dequeue();
        return true;
    }

    /// <summary>Records a heuristic value; a value below the best so far (after the first) boosts the preferred list.</summary>
    public void Progress(int h)
    {
        if (h < _bestH)
        {
            if (_bestH != int.MaxValue)
            {
                _boost += PreferredBoost;
            }

            _bestH = h;
        }
    }
}

/// <summary>The helpful actions of the state being expanded, marked with a stamp per action so that clearing is free.</summary>
internal sealed class HelpfulMarks(int actionCount)
{
    private readonly int[] _stamps = new int[actionCount];
    private int _stamp;

    public bool this[int action] => _stamps[action] == _stamp;

    public void Mark(int[] helpful)
    {
        _stamp++;
        foreach (var a in helpful)
        {
            _stamps[a] = _stamp;
        }
    }
}

/// <summary>Forward state-space searches guided by the FF heuristic.</summary>
internal static class HeuristicSearch
{
    /// <summary>
    /// Enforced hill-climbing with helpful actions (FF): breadth-first search from the current state
    /// until a strictly better state is found. Incomplete: returns Exhausted when it gets stuck.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SearchResult EnforcedHillClimbing(SearchProblem p, FfHeuristic ff, SearchBudget budget)
    {
        var store = new NodeStore();
        var helpful = new List<int>();
        var current = store.Add(p.Initial, -1, -1, 0);
        var h = ff.Evaluate(p.Initial, helpful);
        if (h == FfHeuristic.DeadEnd)
        {
            return SearchResult.Exhausted;
        }

        var currentHelpful = helpful.ToArray();
        while (h > 0)
        {
            var queue = new Queue<(int Node, int[] Helpful)>();
            var visited = new HashSet<ulong[]>(StateComparer.Instance) { store.States[current] };
            queue.Enqueue((current, currentHelpful));
            var found = -1;
            while (queue.Count > 0 && found < 0)
            {
                var (node, actions) = queue.Dequeue();
                if (budget.Charge() is { } stop)
                {
                    return SearchResult.Stopped(stop);
                }

                foreach (var a in actions)
                {
                    var next = p.Apply(store.States[node], a);
                    if (!visited.Add(next))
                    {
                        continue;
                    }

                    var hn = ff.Evaluate(next, helpful);
                    if (hn == FfHeuristic.DeadEnd)
                    {
                        continue;
                    }

                    var id = store.Add(next, node, a, store.Costs[node] + 1);
                    if (hn < h)
                    {
                        found = id;
                        h = hn;
                        currentHelpful = helpful.ToArray();
                        break;
                    }

                    queue.Enqueue((id, helpful.ToArray()));
                }
            }

            if (found < 0)
            {
                return SearchResult.Exhausted;
            }

            current = found;
        }

        return SearchResult.Solved(store, current);
    }

    /// <summary>
    /// Eager greedy best-first search with duplicate detection and a second open list for states
    /// reached by helpful actions (boosted on progress, as in Fast Downward). Complete.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SearchResult GreedyBestFirst(SearchProblem p, FfHeuristic ff, SearchBudget budget, TieBreaking tie, int seed)
    {
        var store = new NodeStore();
        var helpful = new List<int>();
        var ties = new TieBreaker(tie, seed);
        var root = store.Add(p.Initial, -1, -1, 0);
        if (p.IsGoalState(p.Initial))
        {
            return new SearchResult(SearchStatus.Solved, []);
        }

        var h0 = ff.Evaluate(p.Initial, helpful);
        if (h0 == FfHeuristic.DeadEnd)
        {
            return SearchResult.Exhausted;
        }

        // A node is closed once expanded (or when it is a dead end); it keeps its helpful actions until then.
        var lists = new PreferredOpenLists<int>();
        var closed = new List<bool> { false };
        var nodeHelpful = new List<int[]?> { helpful.ToArray() };
        var isHelpful = new HelpfulMarks(p.Actions.Length);
        var first = ties.Next();
        lists.EnqueueOpen(root, h0, first);
        lists.EnqueuePreferred(root, h0, first);
        lists.Progress(h0);
        while (lists.TryDequeue(out var node))
        {
            if (closed[node])
            {
                continue;
            }

            closed[node] = true;
            if (budget.Charge() is { } stop)
            {
                return SearchResult.Stopped(stop);
            }

            isHelpful.Mark(nodeHelpful[node] ?? []);
            nodeHelpful[node] = null;
            var state = store.States[node];
            foreach (var a in p.ApplicableActions(state))
            {
                var next = p.Apply(state, a);
                if (store.TryGet(next, out _))
                {
                    continue;
                }

                var id = store.Add(next, node, a, store.Costs[node] + 1);
                if (p.IsGoalState(next))
                {
                    return SearchResult.Solved(store, id);
                }

                var h = ff.Evaluate(next, helpful);
                closed.Add(h == FfHeuristic.DeadEnd);
                nodeHelpful.Add(h == FfHeuristic.DeadEnd ? null : helpful.ToArray());
                if (h == FfHeuristic.DeadEnd)
                {
                    continue;
                }

                var t = ties.Next();
                lists.EnqueueOpen(id, h, t);
                if (isHelpful[a])
                {
                    lists.EnqueuePreferred(id, h, t);
                }

                lists.Progress(h);
            }
        }

        return SearchResult.Exhausted;
    }

    /// <summary>
    /// Lazy greedy best-first search (as in Fast Downward): a successor is queued with its parent's
    /// heuristic value and evaluated only when it is taken from the queue, so one evaluation per
    /// expanded state instead of one per generated state. Successors through helpful actions also go
    /// to a preferred queue, which gets priority (boosted on progress). Complete.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SearchResult LazyGreedyBestFirst(SearchProblem p, FfHeuristic ff, SearchBudget budget, TieBreaking tie, int seed)
    {
        var store = new NodeStore();
        var helpful = new List<int>();
        var ties = new TieBreaker(tie, seed);

        // Entries are (parent node, action); the root is (-1, -1).
        var lists = new PreferredOpenLists<(int Parent, int Action)>();
        lists.EnqueueOpen((-1, -1), 0, ties.Next());
        while (lists.TryDequeue(out var entry))
        {
            var (parent, action) = entry;
            var state = parent < 0 ? p.Initial : p.Apply(store.States[parent], action);
            if (store.TryGet(state, out _))
            {
                continue;
            }

            var node = store.Add(state, parent, action, parent < 0 ? 0 : store.Costs[parent] + 1);
            if (p.IsGoalState(state))
            {
                return SearchResult.Solved(store, node);
            }

            var h = ff.Evaluate(state, helpful);
            if (h == FfHeuristic.DeadEnd)
            {
                continue;
            }

            if (budget.Charge() is { } stop)
            {
                return SearchResult.Stopped(stop);
            }

            lists.Progress(h);
            foreach (var a in helpful)
            {
                lists.EnqueuePreferred((node, a), h, ties.Next());
            }

            foreach (var a in p.ApplicableActions(state))
            {
                lists.EnqueueOpen((node, a), h, ties.Next());
            }
        }

        return SearchResult.Exhausted;
    }

    /// <summary>
    /// Weighted A* (f = g + w·h) with the FF heuristic, reopening states reached more cheaply.
    /// Only plans shorter than <paramref name="costBound"/> are looked for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SearchResult WeightedAStar(SearchProblem p, FfHeuristic ff, SearchBudget budget, int weight, TieBreaking tie, int seed, int costBound = int.MaxValue)
    {
        var store = new NodeStore();
        var ties = new TieBreaker(tie, seed);
        var h0 = ff.Evaluate(p.Initial, null);
        if (h0 == FfHeuristic.DeadEnd)
        {
            return SearchResult.Exhausted;
        }

        var heuristic = new List<int> { h0 };
        var closed = new List<bool> { false };
        var open = new PriorityQueue<int, (long, int, long)>();
        var root = store.Add(p.Initial, -1, -1, 0);
        open.Enqueue(root, ((long)weight * h0, h0, ties.Next()));
        while (open.TryDequeue(out var node, out var priority))
        {
            var g = store.Costs[node];
            if (closed[node] || priority.Item1 != g + ((long)weight * heuristic[node]))
            {
                continue;
            }

            var state = store.States[node];
            if (p.IsGoalState(state))
            {
                return SearchResult.Solved(store, node);
            }

            closed[node] = true;
            if (g + 1 >= costBound)
            {
                continue;
            }

            if (budget.Charge() is { } stop)
            {
                return SearchResult.Stopped(stop);
            }

            foreach (var a in p.ApplicableActions(state))
            {
                var next = p.Apply(state, a);
                if (store.TryGet(next, out var existing))
                {
                    if (g + 1 < store.Costs[existing] && heuristic[existing] != FfHeuristic.DeadEnd)
                    {
                        store.Costs[existing] = g + 1;
                        store.Parents[existing] = node;
                        store.Actions[existing] = a;
                        closed[existing] = false;
                        open.Enqueue(existing, (g + 1 + ((long)weight * heuristic[existing]), heuristic[existing], ties.Next()));
                    }

                    continue;
                }

                var h = ff.Evaluate(next, null);
                var id = store.Add(next, node, a, g + 1);
                heuristic.Add(h);
                closed.Add(h == FfHeuristic.DeadEnd);
                if (h != FfHeuristic.DeadEnd)
                {
                    open.Enqueue(id, (g + 1 + ((long)weight * h), h, ties.Next()));
                }
            }
        }

        return SearchResult.Exhausted;
    }
}
