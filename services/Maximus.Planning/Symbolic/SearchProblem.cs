using System.Runtime.CompilerServices;
using Maximus.Contracts.Plugins;
using Maximus.Planning.Strips;

namespace Maximus.Planning.Symbolic;

/// <summary>
/// A positive STRIPS task for search: every atom that occurs negated in a precondition or in the
/// goal gets a complement fact ("not f") kept up to date by the actions, so the relaxed heuristics
/// need no special case for negation. Facts are ints, states are bit sets.
/// </summary>
internal sealed class SearchProblem
{
    public SearchProblem(StripsTask task, StripsGoal goal)
    {
        Task = task;
        Goal = goal;
        BaseFacts = task.Facts.Count;
        var complementOf = new Dictionary<int, int>();
        int Complement(int fact)
        {
            if (!complementOf.TryGetValue(fact, out var id))
            {
                id = BaseFacts + complementOf.Count;
                complementOf.Add(fact, id);
            }

            return id;
        }

        foreach (var f in task.Actions.SelectMany(a => a.NegPre).Concat(goal.Negative))
        {
            Complement(f);
        }

        FactCount = BaseFacts + complementOf.Count;
        ComplementBase = new int[complementOf.Count];
        foreach (var (fact, id) in complementOf)
        {
            ComplementBase[id - BaseFacts] = fact;
        }

        Words = StripsState.Words(FactCount);
        var actionCount = task.Actions.Count;
        Actions = [.. task.Actions];
        Pre = new int[actionCount][];
        Add = new int[actionCount][];
        Del = new int[actionCount][];
        for (var a = 0; a < actionCount; a++)
        {
            var action = Actions[a];
            Pre[a] = [.. action.Pre.Concat(action.NegPre.Select(f => complementOf[f])).Distinct()];
            var add = new List<int>(action.Add);
            var del = new List<int>(action.Del);
            foreach (var f in action.Del)
            {
                if (complementOf.TryGetValue(f, out var c))
                {
                    add.Add(c);
                }
            }

            foreach (var f in action.Add)
            {
                if (complementOf.TryGetValue(f, out var c))
                {
                    del.Add(c);
                }
            }

            Add[a] = [.. add.Distinct()];
            Del[a] = [.. del.Distinct()];
        }

        var preOf = Enumerable.Range(0, FactCount).Select(_ => new List<int>()).ToArray();
        var achievers = Enumerable.Range(0, FactCount).Select(_ => new List<int>()).ToArray();
        var noPre = new List<int>();
        for (var a = 0; a < actionCount; a++)
        {
            foreach (var f in Pre[a])
            {
                preOf[f].Add(a);
            }

            foreach (var f in Add[a])
            {
                achievers[f].Add(a);
            }

            if (Pre[a].Length == 0)
            {
                noPre.Add(a);
            }
        }

        PreOf = [.. preOf.Select(l => l.ToArray())];
        Achievers = [.. achievers.Select(l => l.ToArray())];
        NoPrecondition = [.. noPre];

        Initial = new ulong[Words];
        for (var f = 0; f < BaseFacts; f++)
        {
            if (task.InitialState.Holds(f))
            {
                Set(Initial, f);
            }
        }

        foreach (var (fact, id) in complementOf)
        {
            if (!task.InitialState.Holds(fact))
            {
                Set(Initial, id);
            }
        }

        GoalFacts = [.. goal.Positive.Concat(goal.Negative.Select(f => complementOf[f])).Distinct()];
        IsGoal = new bool[FactCount];
        foreach (var g in GoalFacts)
        {
            IsGoal[g] = true;
        }
    }

    public StripsTask Task { get; }

    public StripsGoal Goal { get; }

    public int BaseFacts { get; }

    public int FactCount { get; }

    public int Words { get; }

    /// <summary>For complement fact <c>BaseFacts + i</c>, the atom it negates.</summary>
    public int[] ComplementBase { get; }

    public GroundAction[] Actions { get; }

    public int[][] Pre { get; }

    public int[][] Add { get; }

    public int[][] Del { get; }

    public int[][] PreOf { get; }

    public int[][] Achievers { get; }

    public int[] NoPrecondition { get; }

    public ulong[] Initial { get; }

    public int[] GoalFacts { get; }

    public bool[] IsGoal { get; }

    public static bool Has(ulong[] state, int f) => (state[f >> 6] & (1UL << (f & 63))) != 0;

    public static void Set(ulong[] state, int f) => state[f >> 6] |= 1UL << (f & 63);

    public static void Clear(ulong[] state, int f) => state[f >> 6] &= ~(1UL << (f & 63));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool IsApplicable(ulong[] state, int action)
    {
        foreach (var f in Pre[action])
        {
            if (!Has(state, f))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The actions applicable in <paramref name="state"/>, in index order.</summary>
    public IEnumerable<int> ApplicableActions(ulong[] state)
    {
        for (var a = 0; a < Actions.Length; a++)
        {
            if (IsApplicable(state, a))
            {
                yield return a;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong[] Apply(ulong[] state, int action)
    {
        var next = (ulong[])state.Clone();
        foreach (var f in Del[action])
        {
            Clear(next, f);
        }

        foreach (var f in Add[action])
        {
            Set(next, f);
        }

        return next;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool IsGoalState(ulong[] state)
    {
        foreach (var g in GoalFacts)
        {
            if (!Has(state, g))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The literal a search fact stands for: an atom, or a negated atom for a complement.</summary>
    public ContractLiteral Describe(int fact) =>
        fact < BaseFacts ? Task.Facts[fact] : Task.Facts[ComplementBase[fact - BaseFacts]] with { Negated = true };

    /// <summary>Goal facts not reachable from the initial state even when delete effects are ignored.</summary>
    public IReadOnlyList<ContractLiteral> RelaxedUnreachableGoals()
    {
        var reached = new bool[FactCount];
        var queue = new Queue<int>();
        for (var f = 0; f < FactCount; f++)
        {
            if (Has(Initial, f))
            {
                reached[f] = true;
                queue.Enqueue(f);
            }
        }

        var counters = Pre.Select(p => p.Length).ToArray();
        void Fire(int a)
        {
            foreach (var f in Add[a])
            {
                if (!reached[f])
                {
                    reached[f] = true;
                    queue.Enqueue(f);
                }
            }
        }

        foreach (var a in NoPrecondition)
        {
            Fire(a);
        }

        while (queue.Count > 0)
        {
            foreach (var a in PreOf[queue.Dequeue()])
            {
                if (--counters[a] == 0)
                {
                    Fire(a);
                }
            }
        }

        return GoalFacts.Where(g => !reached[g]).Select(Describe).ToList();
    }
}

/// <summary>Compares bit-set states by content.</summary>
internal sealed class StateComparer : IEqualityComparer<ulong[]>
{
    public static StateComparer Instance { get; } = new();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Equals(ulong[]? x, ulong[]? y) => x.AsSpan().SequenceEqual(y);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int GetHashCode(ulong[] obj)
    {
        ulong h = 14695981039346656037UL;
        foreach (var w in obj)
        {
            h = (h ^ w) * 1099511628211UL;
            h ^= h >> 29;
        }

        return (int)h ^ (int)(h >> 32);
    }
}
