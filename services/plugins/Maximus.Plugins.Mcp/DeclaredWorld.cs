using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Mcp;

/// <summary>
/// The world of one MCP server as its side file declares it: the objects and facts it starts from, changed by the
/// declared effects of every call that succeeded (argument values of those calls become objects). A server without a side
/// file has an empty world that never changes, which is what the world models then predict.
/// </summary>
internal sealed class DeclaredWorld(McpSemantics semantics)
{
    private readonly Lock _lock = new();
    private readonly List<PluginObject> _objects = [.. semantics.Objects ?? []];
    private readonly List<ContractLiteral> _facts = [.. semantics.Facts ?? []];
    private long _version;

    public PluginState Snapshot()
    {
        lock (_lock)
        {
            return new PluginState([.. _objects], [.. _facts], Version: _version);
        }
    }

    /// <summary>The declared preconditions that do not hold for these arguments (PDDL form).</summary>
    public IReadOnlyList<string> Unmet(McpToolSemantics? tool, IReadOnlyDictionary<string, string> arguments)
    {
        lock (_lock)
        {
            return (tool?.Preconditions ?? [])
                .Select(p => Ground(p, arguments))
                .Where(p => Holds(p) == p.Negated)
                .Select(p => p.ToString())
                .ToList();
        }
    }

    public void Apply(McpToolSemantics? tool, IReadOnlyDictionary<string, string> arguments)
    {
        if (tool?.Effects is not { Count: > 0 } effects)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var effect in effects.Select(e => Ground(e, arguments)))
            {
                var positive = effect with { Negated = false };
                _facts.RemoveAll(f => f.ToString() == positive.ToString());
                if (!effect.Negated)
                {
                    _facts.Add(positive);
                }
            }

            foreach (var value in arguments.Values.Where(v => !_objects.Any(o => o.Name == v)))
            {
                _objects.Add(new PluginObject(value));
            }

            _version++;
        }
    }

    private bool Holds(ContractLiteral literal)
    {
        var atom = (literal with { Negated = false }).ToString();
        return _facts.Any(f => f.ToString() == atom);
    }

    private static ContractLiteral Ground(ContractLiteral literal, IReadOnlyDictionary<string, string> arguments) => literal with
    {
        Arguments = literal.Arguments
            .Select(a => a.StartsWith('?') && (arguments.TryGetValue(a[1..], out var v) || arguments.TryGetValue(a, out v)) ? v : a)
            .ToList(),
    };
}
