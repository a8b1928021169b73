using Maximus.Contracts.Plugins;

namespace Maximus.Planning.Strips;

/// <summary>Interns ground atoms to dense integer ids so states can be bit sets.</summary>
public sealed class FactTable
{
    private const char Separator = '\u001f';
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<ContractLiteral> _atoms = [];

    public int Count => _atoms.Count;

    /// <summary>The atom (never negated) with this id.</summary>
    public ContractLiteral this[int id] => _atoms[id];

    public int Intern(string predicate, IReadOnlyList<string> arguments)
    {
        var key = Key(predicate, arguments);
        if (!_ids.TryGetValue(key, out var id))
        {
            id = _atoms.Count;
            _ids.Add(key, id);
            _atoms.Add(new ContractLiteral(predicate, [.. arguments]));
        }

        return id;
    }

    /// <summary>Interns the atom of a literal (its sign is ignored).</summary>
    public int Intern(ContractLiteral literal)
    {
        ArgumentNullException.ThrowIfNull(literal);
        return Intern(literal.Predicate, literal.Arguments);
    }

    /// <summary>Finds the id of the atom of a literal (its sign is ignored).</summary>
    public bool TryGetId(ContractLiteral literal, out int id)
    {
        ArgumentNullException.ThrowIfNull(literal);
        return _ids.TryGetValue(Key(literal.Predicate, literal.Arguments), out id);
    }

    public bool TryGetId(string predicate, IReadOnlyList<string> arguments, out int id) =>
        _ids.TryGetValue(Key(predicate, arguments), out id);

    internal static string Key(string predicate, IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0)
        {
            return predicate;
        }

        return string.Concat(predicate, Separator.ToString(), string.Join(Separator, arguments));
    }
}
