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

internal sealed record SearchResult(SearchStatus Status, int[]? Plan);

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

/// <summary>Forward state-space searches guided by the FF heuristic.</summary>
internal static class HeuristicSearch
{
    private const int PreferredBoost = 1000;

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
            return new SearchResult(SearchStatus.Exhausted, null);
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
                    return new SearchResult(stop, null);
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
                return new SearchResult(SearchStatus.Exhausted, null);
            }

            current = found;
        }

        return new SearchResult(SearchStatus.Solved, store.PathTo(current));
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
        var root = store.Add(p.Initial, -1, -1, 0);
        if (p.IsGoalState(p.Initial))
        {
            return new SearchResult(SearchStatus.Solved, []);
        }

        var h0 = ff.Evaluate(p.Initial, helpful);
        if (h0 == FfHeuristic.DeadEnd)
        {
            return new SearchResult(SearchStatus.Exhausted, null);
        }

        var random = new Random(seed);
        long counter = 0;
        long NextTie() => tie switch
        {
            TieBreaking.Lifo => -counter++,
            TieBreaking.Random => random.NextInt64(),
            _ => counter++,
        };

        var open = new PriorityQueue<int, (int, long)>();
        var preferred = new PriorityQueue<int, (int, long)>();
        var closed = new List<bool> { false };
        var nodeHelpful = new List<int[]?> { helpful.ToArray() };
        var isHelpful = new int[p.Actions.Length];
        var stamp = 0;
        var first = NextTie();
        open.Enqueue(root, (h0, first));
        preferred.Enqueue(root, (h0, first));
        var bestH = h0;
        var boost = 0;
        var turn = 0;
        while (open.Count > 0 || preferred.Count > 0)
        {
            var usePreferred = preferred.Count > 0 && (open.Count == 0 || boost > 0 || (turn++ & 1) == 0);
            if (usePreferred && boost > 0)
            {
                boost--;
            }

            var node = (usePreferred ? preferred : open).Dequeue();
            if (closed[node])
            {
                continue;
            }

            closed[node] = true;
            if (budget.Charge() is { } stop)
            {
                return new SearchResult(stop, null);
            }

            stamp++;
            foreach (var a in nodeHelpful[node] ?? [])
            {
                isHelpful[a] = stamp;
            }

            nodeHelpful[node] = null;
            var state = store.States[node];
            for (var a = 0; a < p.Actions.Length; a++)
            {
                if (!p.IsApplicable(state, a))
                {
                    continue;
                }

                var next = p.Apply(state, a);
                if (store.TryGet(next, out _))
                {
                    continue;
                }

                var id = store.Add(next, node, a, store.Costs[node] + 1);
                if (p.IsGoalState(next))
                {
                    return new SearchResult(SearchStatus.Solved, store.PathTo(id));
                }

                var h = ff.Evaluate(next, helpful);
                closed.Add(h == FfHeuristic.DeadEnd);
                nodeHelpful.Add(h == FfHeuristic.DeadEnd ? null : helpful.ToArray());
                if (h == FfHeuristic.DeadEnd)
                {
                    continue;
                }

                var t = NextTie();
                open.Enqueue(id, (h, t));
                if (isHelpful[a] == stamp)
                {
                    preferred.Enqueue(id, (h, t));
                }

                if (h < bestH)
                {
                    bestH = h;
                    boost += PreferredBoost;
                }
            }
        }

        return new SearchResult(SearchStatus.Exhausted, null);
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
        var random = new Random(seed);
        long counter = 0;
        long NextTie() => tie switch
        {
            TieBreaking.Lifo => -counter++,
            TieBreaking.Random => random.NextInt64(),
            _ => counter++,
        };

        // Entries are (parent node, action); the root is (-1, -1).
        var open = new PriorityQueue<(int Parent, int Action), (int, long)>();
        var preferred = new PriorityQueue<(int Parent, int Action), (int, long)>();
        var isHelpful = new int[p.Actions.Length];
        var stamp = 0;
        open.Enqueue((-1, -1), (0, NextTie()));
        var bestH = int.MaxValue;
        var boost = 0;
        var turn = 0;
        while (open.Count > 0 || preferred.Count > 0)
        {
            var usePreferred = preferred.Count > 0 && (open.Count == 0 || boost > 0 || (turn++ & 1) == 0);
            if (usePreferred && boost > 0)
            {
                boost--;
            }

            var (parent, action) = (usePreferred ? preferred : open).Dequeue();
            var state = parent < 0 ? p.Initial : p.Apply(store.States[parent], action);
            if (store.TryGet(state, out _))
            {
                continue;
            }

            var node = store.Add(state, parent, action, parent < 0 ? 0 : store.Costs[parent] + 1);
            if (p.IsGoalState(state))
            {
                return new SearchResult(SearchStatus.Solved, store.PathTo(node));
            }

            var h = ff.Evaluate(state, helpful);
            if (h == FfHeuristic.DeadEnd)
            {
                continue;
            }

            if (budget.Charge() is { } stop)
            {
                return new SearchResult(stop, null);
            }

            if (h < bestH)
            {
                if (bestH != int.MaxValue)
                {
                    boost += PreferredBoost;
                }

                bestH = h;
            }

            stamp++;
            foreach (var a in helpful)
            {
                isHelpful[a] = stamp;
                preferred.Enqueue((node, a), (h, NextTie()));
            }

            for (var a = 0; a < p.Actions.Length; a++)
            {
                if (p.IsApplicable(state, a))
                {
                    open.Enqueue((node, a), (h, NextTie()));
                }
            }
        }

        return new SearchResult(SearchStatus.Exhausted, null);
    }

    /// <summary>
    /// Weighted A* (f = g + w·h) with the FF heuristic, reopening states reached more cheaply.
    /// Only plans shorter than <paramref name="costBound"/> are looked for.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SearchResult WeightedAStar(SearchProblem p, FfHeuristic ff, SearchBudget budget, int weight, TieBreaking tie, int seed, int costBound = int.MaxValue)
    {
        var store = new NodeStore();
        var h0 = ff.Evaluate(p.Initial, null);
        if (h0 == FfHeuristic.DeadEnd)
        {
            return new SearchResult(SearchStatus.Exhausted, null);
        }

        var random = new Random(seed);
        long counter = 0;
        long NextTie() => tie switch
        {
            TieBreaking.Lifo => -counter++,
            TieBreaking.Random => random.NextInt64(),
            _ => counter++,
        };

        var heuristic = new List<int> { h0 };
        var closed = new List<bool> { false };
        var open = new PriorityQueue<int, (long, int, long)>();
        var root = store.Add(p.Initial, -1, -1, 0);
        open.Enqueue(root, ((long)weight * h0, h0, NextTie()));
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
                return new SearchResult(SearchStatus.Solved, store.PathTo(node));
            }

            closed[node] = true;
            if (g + 1 >= costBound)
            {
                continue;
            }

            if (budget.Charge() is { } stop)
            {
                return new SearchResult(stop, null);
            }

            for (var a = 0; a < p.Actions.Length; a++)
            {
                if (!p.IsApplicable(state, a))
                {
                    continue;
                }

                var next = p.Apply(state, a);
                if (store.TryGet(next, out var existing))
                {
                    if (g + 1 < store.Costs[existing] && heuristic[existing] != FfHeuristic.DeadEnd)
                    {
                        store.Costs[existing] = g + 1;
                        store.Parents[existing] = node;
                        store.Actions[existing] = a;
                        closed[existing] = false;
                        open.Enqueue(existing, (g + 1 + ((long)weight * heuristic[existing]), heuristic[existing], NextTie()));
                    }

                    continue;
                }

                var h = ff.Evaluate(next, null);
                var id = store.Add(next, node, a, g + 1);
                heuristic.Add(h);
                closed.Add(h == FfHeuristic.DeadEnd);
                if (h != FfHeuristic.DeadEnd)
                {
                    open.Enqueue(id, (g + 1 + ((long)weight * h), h, NextTie()));
                }
            }
        }

        return new SearchResult(SearchStatus.Exhausted, null);
    }
}
