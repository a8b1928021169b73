using System.Numerics;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.Strips;

/// <summary>An immutable set of true ground atoms (closed world: every other atom is false).</summary>
public sealed class StripsState : IEquatable<StripsState>
{
    private readonly ulong[] _bits;
    private int _hash;

    internal StripsState(FactTable facts, ulong[] bits)
    {
        Facts = facts;
        _bits = bits;
    }

    public FactTable Facts { get; }

    internal ulong[] Bits => _bits;

    /// <summary>A state where exactly <paramref name="atoms"/> are true; negated literals are ignored.</summary>
    public static StripsState FromFacts(FactTable facts, IEnumerable<ContractLiteral> atoms)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(atoms);
        var ids = atoms.Where(a => !a.Negated).Select(facts.Intern).ToList();
        var bits = new ulong[Words(facts.Count)];
        foreach (var id in ids)
        {
            bits[id >> 6] |= 1UL << (id & 63);
        }

        return new StripsState(facts, bits);
    }

    public bool Holds(int fact) =>
        fact >= 0 && (fact >> 6) < _bits.Length && (_bits[fact >> 6] & (1UL << (fact & 63))) != 0;

    /// <summary>Whether a ground literal holds; <c>=</c> is equality of its two arguments.</summary>
    public bool Holds(ContractLiteral literal)
    {
        ArgumentNullException.ThrowIfNull(literal);
        bool atom;
        if (literal.Predicate == Grounder.EqualityPredicate)
        {
            atom = literal.Arguments.Count == 2 && string.Equals(literal.Arguments[0], literal.Arguments[1], StringComparison.Ordinal);
        }
        else
        {
            atom = Facts.TryGetId(literal, out var id) && Holds(id);
        }

        return atom != literal.Negated;
    }

    public bool IsApplicable(GroundAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        foreach (var f in action.Pre)
        {
            if (!Holds(f))
            {
                return false;
            }
        }

        foreach (var f in action.NegPre)
        {
            if (Holds(f))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The successor state: delete effects, then add effects (preconditions are not checked).</summary>
    public StripsState Apply(GroundAction action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var bits = new ulong[Math.Max(_bits.Length, Words(Facts.Count))];
        Array.Copy(_bits, bits, _bits.Length);
        foreach (var f in action.Del)
        {
            bits[f >> 6] &= ~(1UL << (f & 63));
        }

        foreach (var f in action.Add)
        {
            bits[f >> 6] |= 1UL << (f & 63);
        }

        return new StripsState(Facts, bits);
    }

    public bool Satisfies(StripsGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return goal.Unsatisfiable.Count == 0
            && goal.Positive.All(Holds)
            && !goal.Negative.Any(Holds);
    }

    /// <summary>Whether every literal holds, negated ones included.</summary>
    public bool Satisfies(IEnumerable<ContractLiteral> goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return goal.All(Holds);
    }

    public IReadOnlyList<ContractLiteral> TrueFacts()
    {
        var result = new List<ContractLiteral>();
        for (var w = 0; w < _bits.Length; w++)
        {
            var word = _bits[w];
            while (word != 0)
            {
                var bit = BitOperations.TrailingZeroCount(word);
                result.Add(Facts[(w << 6) + bit]);
                word &= word - 1;
            }
        }

        return result;
    }

    public bool Equals(StripsState? other)
    {
        if (other is null)
        {
            return false;
        }

        var length = Math.Max(_bits.Length, other._bits.Length);
        for (var i = 0; i < length; i++)
        {
            var a = i < _bits.Length ? _bits[i] : 0;
            var b = i < other._bits.Length ? other._bits[i] : 0;
            if (a != b)
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as StripsState);

    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var last = _bits.Length - 1;
            while (last >= 0 && _bits[last] == 0)
            {
                last--;
            }

            var hash = new HashCode();
            for (var i = 0; i <= last; i++)
            {
                hash.Add(_bits[i]);
            }

            _hash = hash.ToHashCode() | 1;
        }

        return _hash;
    }

    internal static int Words(int facts) => Math.Max(1, (facts + 63) >> 6);
}

/// <summary>A goal over fact ids: atoms that must hold and atoms that must not.</summary>
public sealed class StripsGoal
{
    internal StripsGoal(int[] positive, int[] negative, IReadOnlyList<ContractLiteral> literals, IReadOnlyList<ContractLiteral> unsatisfiable)
    {
        Positive = positive;
        Negative = negative;
        Literals = literals;
        Unsatisfiable = unsatisfiable;
    }

    public IReadOnlyList<int> Positive { get; }

    public IReadOnlyList<int> Negative { get; }

    /// <summary>The goal as given.</summary>
    public IReadOnlyList<ContractLiteral> Literals { get; }

    /// <summary>Goal literals false in every state (an equality between different objects, say).</summary>
    public IReadOnlyList<ContractLiteral> Unsatisfiable { get; }
}
