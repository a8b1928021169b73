using System.Numerics;
using System.Runtime.CompilerServices;

namespace Maximus.Planning.Symbolic;

/// <summary>
/// The FF heuristic (Hoffmann and Nebel 2001): builds the relaxed planning graph from a state,
/// extracts a relaxed plan backwards and returns its length; actions applicable in the state
/// that achieve a first-layer subgoal of the relaxed plan are the helpful actions.
/// Not thread-safe: one instance per search.
/// </summary>
internal sealed class FfHeuristic
{
    public const int DeadEnd = int.MaxValue;

    private readonly SearchProblem _p;
    private readonly int[] _factLayer;
    private readonly int[] _actionLevel;
    private readonly int[] _counter;
    private readonly int[] _markedTrue;
    private readonly bool[] _isSubgoal;
    private readonly int[] _helpfulStamp;
    private readonly List<List<int>> _buckets = [];
    private List<int> _current = [];
    private List<int> _next = [];
    private readonly List<int> _ready = [];
    private int _stamp;

    public FfHeuristic(SearchProblem problem)
    {
        _p = problem;
        _factLayer = new int[problem.FactCount];
        _actionLevel = new int[problem.Actions.Length];
        _counter = new int[problem.Actions.Length];
        _markedTrue = new int[problem.FactCount];
        _isSubgoal = new bool[problem.FactCount];
        _helpfulStamp = new int[problem.Actions.Length];
    }

    /// <summary>The relaxed plan length, or <see cref="DeadEnd"/>; fills <paramref name="helpful"/> when given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Evaluate(ulong[] state, List<int>? helpful)
    {
        helpful?.Clear();
        Array.Fill(_factLayer, DeadEnd);
        Array.Fill(_actionLevel, DeadEnd);
        for (var a = 0; a < _counter.Length; a++)
        {
            _counter[a] = _p.Pre[a].Length;
        }

        _current.Clear();
        for (var w = 0; w < state.Length; w++)
        {
            var word = state[w];
            while (word != 0)
            {
                var f = (w << 6) + BitOperations.TrailingZeroCount(word);
                _factLayer[f] = 0;
                _current.Add(f);
                word &= word - 1;
            }
        }

        var remaining = 0;
        foreach (var g in _p.GoalFacts)
        {
            if (_factLayer[g] != 0)
            {
                remaining++;
            }
        }

        if (remaining == 0)
        {
            return 0;
        }

        _ready.Clear();
        foreach (var a in _p.NoPrecondition)
        {
            _actionLevel[a] = 0;
            _ready.Add(a);
        }

        var level = 0;
        while (true)
        {
            foreach (var f in _current)
            {
                foreach (var a in _p.PreOf[f])
                {
                    if (--_counter[a] == 0)
                    {
                        _actionLevel[a] = level;
                        _ready.Add(a);
                    }
                }
            }

            _next.Clear();
            foreach (var a in _ready)
            {
                foreach (var f in _p.Add[a])
                {
                    if (_factLayer[f] == DeadEnd)
                    {
                        _factLayer[f] = level + 1;
                        _next.Add(f);
                        if (_p.IsGoal[f])
                        {
                            remaining--;
                        }
                    }
                }
            }

            _ready.Clear();
            level++;
            if (remaining == 0)
            {
                break;
            }

            if (_next.Count == 0)
            {
                return DeadEnd;
            }

            (_current, _next) = (_next, _current);
        }

        return Extract(level, helpful);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Extract(int maxLayer, List<int>? helpful)
    {
        while (_buckets.Count <= maxLayer)
        {
            _buckets.Add([]);
        }

        for (var i = 0; i <= maxLayer; i++)
        {
            _buckets[i].Clear();
        }

        Array.Fill(_markedTrue, DeadEnd);
        Array.Clear(_isSubgoal);
        foreach (var g in _p.GoalFacts)
        {
            if (_factLayer[g] > 0 && !_isSubgoal[g])
            {
                _isSubgoal[g] = true;
                _buckets[_factLayer[g]].Add(g);
            }
        }

        var count = 0;
        for (var i = maxLayer; i >= 1; i--)
        {
            var bucket = _buckets[i];
            for (var k = 0; k < bucket.Count; k++)
            {
                var g = bucket[k];
                // Marks are made in decreasing layer order, so "true at i" is "marked at i or below".
                if (_markedTrue[g] <= i)
                {
                    continue;
                }

                var best = -1;
                var bestDifficulty = int.MaxValue;
                foreach (var a in _p.Achievers[g])
                {
                    if (_actionLevel[a] != i - 1)
                    {
                        continue;
                    }

                    var difficulty = 0;
                    foreach (var p in _p.Pre[a])
                    {
                        difficulty += _factLayer[p];
                    }

                    if (difficulty < bestDifficulty)
                    {
                        best = a;
                        bestDifficulty = difficulty;
                    }
                }

                count++;
                foreach (var p in _p.Pre[best])
                {
                    if (_factLayer[p] != 0 && !_isSubgoal[p] && _markedTrue[p] > i - 1)
                    {
                        _isSubgoal[p] = true;
                        _buckets[_factLayer[p]].Add(p);
                    }
                }

                foreach (var f in _p.Add[best])
                {
                    if (_markedTrue[f] > i - 1)
                    {
                        _markedTrue[f] = i - 1;
                    }
                }
            }
        }

        if (helpful is not null)
        {
            _stamp++;
            foreach (var g in _buckets[1])
            {
                foreach (var a in _p.Achievers[g])
                {
                    if (_actionLevel[a] == 0 && _helpfulStamp[a] != _stamp)
                    {
                        _helpfulStamp[a] = _stamp;
                        helpful.Add(a);
                    }
                }
            }
        }

        return count;
    }
}
