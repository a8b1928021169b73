using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Planning.Strips;

/// <summary>
/// Grounds the actions of a plugin manifest over the objects of a plugin state. A parameter of
/// type T accepts the objects declared with type T, or every object when T is "object". Static
/// predicates (no action effect mentions them) are checked as soon as their arguments are bound,
/// and bound through indexes over the initial facts, so that only consistent tuples are enumerated.
/// Ground actions not reachable from the initial state (ignoring deletes) are dropped.
/// </summary>
public static class Grounder
{
    public const string EqualityPredicate = "=";
    public const string AnyType = "object";

    public static StripsTask Ground(IReadOnlyList<PluginAction> actions, PluginState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(state);

        var objectTypes = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var objectOrder = new List<string>();
        void AddObject(string name, string type)
        {
            if (!objectTypes.TryGetValue(name, out var set))
            {
                set = new HashSet<string>(StringComparer.Ordinal);
                objectTypes.Add(name, set);
                objectOrder.Add(name);
            }

            set.Add(type);
        }

        foreach (var o in state.Objects ?? [])
        {
            AddObject(o.Name, string.IsNullOrEmpty(o.Type) ? AnyType : o.Type);
        }

        var initialAtoms = (state.Facts ?? []).Where(f => !f.Negated && f.Predicate != EqualityPredicate).ToList();
        foreach (var argument in initialAtoms.SelectMany(f => f.Arguments))
        {
            AddObject(argument, AnyType);
        }

        var facts = new FactTable();
        foreach (var atom in initialAtoms)
        {
            facts.Intern(atom);
        }

        var ignored = new List<string>();
        var schemas = new List<Schema>();
        foreach (var action in actions)
        {
            if (Schema.TryCreate(action, out var schema, out var reason))
            {
                schemas.Add(schema);
            }
            else
            {
                ignored.Add($"{action.Name}: {reason}");
            }
        }

        var fluent = schemas.SelectMany(s => s.Effects).Select(e => e.Predicate).ToHashSet(StringComparer.Ordinal);
        var staticPredicates = initialAtoms.Select(a => a.Predicate)
            .Concat(schemas.SelectMany(s => s.Preconditions).Select(p => p.Predicate))
            .Where(p => p != EqualityPredicate && !fluent.Contains(p))
            .ToHashSet(StringComparer.Ordinal);
        var staticFacts = new StaticFacts(initialAtoms.Where(a => staticPredicates.Contains(a.Predicate)));

        var ground = new List<GroundAction>();
        foreach (var schema in schemas)
        {
            new SchemaGrounder(schema, objectOrder, objectTypes, staticPredicates, staticFacts, facts, ground, cancellationToken).Run();
        }

        var initial = StripsState.FromFacts(facts, initialAtoms);
        var reachable = PruneUnreachable(ground, initial, facts.Count);
        var readOnlyTypes = objectTypes.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<string>)kv.Value, StringComparer.Ordinal);
        return new StripsTask(facts, reachable, initial, readOnlyTypes, staticPredicates, ignored);
    }

    /// <summary>Keeps the actions whose positive preconditions are reachable when deletes are ignored.</summary>
    private static List<GroundAction> PruneUnreachable(List<GroundAction> actions, StripsState initial, int factCount)
    {
        var reached = new bool[factCount];
        for (var f = 0; f < factCount; f++)
        {
            reached[f] = initial.Holds(f);
        }

        var useful = new bool[actions.Count];
        var changed = true;
        while (changed)
        {
            changed = false;
            for (var i = 0; i < actions.Count; i++)
            {
                if (useful[i] || !actions[i].Pre.All(p => reached[p]))
                {
                    continue;
                }

                useful[i] = true;
                foreach (var f in actions[i].Add)
                {
                    if (!reached[f])
                    {
                        reached[f] = true;
                        changed = true;
                    }
                }
            }
        }

        return actions.Where((_, i) => useful[i]).ToList();
    }

    /// <summary>A term of an action literal: a parameter index, or a constant.</summary>
    private readonly record struct Term(int Variable, string? Constant)
    {
        public bool IsVariable => Constant is null;
    }

    private sealed record Pattern(string Predicate, Term[] Arguments, bool Negated)
    {
        public bool IsEquality => Predicate == EqualityPredicate;

        public IEnumerable<int> Variables => Arguments.Where(a => a.IsVariable).Select(a => a.Variable);
    }

    private sealed class Schema
    {
        private Schema(PluginAction action, string[] parameterNames, string[] parameterTypes, List<Pattern> preconditions, List<Pattern> effects)
        {
            Action = action;
            ParameterNames = parameterNames;
            ParameterTypes = parameterTypes;
            Preconditions = preconditions;
            Effects = effects;
        }

        public PluginAction Action { get; }

        public string[] ParameterNames { get; }

        public string[] ParameterTypes { get; }

        public List<Pattern> Preconditions { get; }

        public List<Pattern> Effects { get; }

        public static bool TryCreate(PluginAction action, out Schema schema, out string reason)
        {
            schema = null!;
            var parameters = action.Parameters ?? [];
            var names = parameters.Select(p => p.Name.TrimStart('?')).ToArray();
            var types = parameters.Select(p => string.IsNullOrEmpty(p.Type) ? AnyType : p.Type).ToArray();
            var effects = action.Effects ?? [];
            if (effects.Count == 0)
            {
                reason = (action.Preconditions ?? []).Count == 0
                    ? "declares no preconditions or effects"
                    : "declares no effects";
                return false;
            }

            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < names.Length; i++)
            {
                index.TryAdd(names[i], i);
            }

            var pre = new List<Pattern>();
            var eff = new List<Pattern>();
            foreach (var (source, target) in new[] { (action.Preconditions ?? [], pre), (effects, eff) })
            {
                foreach (var literal in source)
                {
                    var terms = new Term[literal.Arguments.Count];
                    for (var i = 0; i < terms.Length; i++)
                    {
                        var argument = literal.Arguments[i];
                        if (argument.StartsWith('?'))
                        {
                            if (!index.TryGetValue(argument[1..], out var variable))
                            {
                                reason = $"{literal} refers to unknown parameter '{argument}'";
                                return false;
                            }

                            terms[i] = new Term(variable, null);
                        }
                        else
                        {
                            terms[i] = new Term(-1, argument);
                        }
                    }

                    target.Add(new Pattern(literal.Predicate, terms, literal.Negated));
                }
            }

            if (eff.Any(e => e.IsEquality))
            {
                reason = "equality cannot be an effect";
                return false;
            }

            schema = new Schema(action, names, types, pre, eff);
            reason = string.Empty;
            return true;
        }
    }

    /// <summary>The initial facts of static predicates, with lazily built lookup indexes.</summary>
    private sealed class StaticFacts
    {
        private readonly Dictionary<string, HashSet<string>> _keys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<IReadOnlyList<string>>> _tuples = new(StringComparer.Ordinal);
        private readonly Dictionary<(string, int), Dictionary<string, List<string>>> _indexes = [];

        public StaticFacts(IEnumerable<ContractLiteral> atoms)
        {
            foreach (var atom in atoms)
            {
                if (!_keys.TryGetValue(atom.Predicate, out var keys))
                {
                    keys = new HashSet<string>(StringComparer.Ordinal);
                    _keys.Add(atom.Predicate, keys);
                    _tuples.Add(atom.Predicate, []);
                }

                if (keys.Add(FactTable.Key(atom.Predicate, atom.Arguments)))
                {
                    _tuples[atom.Predicate].Add(atom.Arguments);
                }
            }
        }

        public bool Contains(string predicate, IReadOnlyList<string> arguments) =>
            _keys.TryGetValue(predicate, out var keys) && keys.Contains(FactTable.Key(predicate, arguments));

        /// <summary>Values at <paramref name="position"/> of the facts whose other arguments are <paramref name="others"/>.</summary>
        public IReadOnlyList<string> Lookup(string predicate, int position, IReadOnlyList<string> others)
        {
            if (!_indexes.TryGetValue((predicate, position), out var index))
            {
                index = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                foreach (var tuple in _tuples.GetValueOrDefault(predicate) ?? [])
                {
                    var key = FactTable.Key(string.Empty, tuple.Where((_, i) => i != position).ToList());
                    if (!index.TryGetValue(key, out var values))
                    {
                        values = [];
                        index.Add(key, values);
                    }

                    values.Add(tuple[position]);
                }

                _indexes.Add((predicate, position), index);
            }

            return index.TryGetValue(FactTable.Key(string.Empty, others), out var found) ? found : [];
        }
    }

    /// <summary>Backtracking enumeration of the bindings of one schema that satisfy its static preconditions.</summary>
    private sealed class SchemaGrounder
    {
        private readonly Schema _schema;
        private readonly IReadOnlySet<string> _static;
        private readonly StaticFacts _staticFacts;
        private readonly FactTable _facts;
        private readonly List<GroundAction> _output;
        private readonly CancellationToken _cancellationToken;
        private readonly List<string>[] _domains;
        private readonly HashSet<string>[] _accepted;
        private readonly int[] _order;
        private readonly Pattern?[] _lookup;
        private readonly int[] _lookupPosition;
        private readonly List<Pattern>[] _checks;
        private readonly List<Pattern> _groundChecks = [];
        private readonly string?[] _values;

        public SchemaGrounder(
            Schema schema,
            List<string> objects,
            Dictionary<string, HashSet<string>> objectTypes,
            IReadOnlySet<string> staticPredicates,
            StaticFacts staticFacts,
            FactTable facts,
            List<GroundAction> output,
            CancellationToken cancellationToken)
        {
            _schema = schema;
            _static = staticPredicates;
            _staticFacts = staticFacts;
            _facts = facts;
            _output = output;
            _cancellationToken = cancellationToken;
            var n = schema.ParameterNames.Length;
            _values = new string?[n];
            _domains = new List<string>[n];
            _accepted = new HashSet<string>[n];
            for (var i = 0; i < n; i++)
            {
                var type = schema.ParameterTypes[i];
                _domains[i] = type == AnyType ? objects : objects.Where(o => objectTypes[o].Contains(type)).ToList();
                _accepted[i] = _domains[i].ToHashSet(StringComparer.Ordinal);
            }

            var staticLiterals = schema.Preconditions.Where(p => p.IsEquality || _static.Contains(p.Predicate)).ToList();
            _order = new int[n];
            _lookup = new Pattern?[n];
            _lookupPosition = new int[n];
            _checks = new List<Pattern>[n];
            var bound = new bool[n];
            for (var depth = 0; depth < n; depth++)
            {
                var best = -1;
                var bestScore = (Lookup: false, Checks: -1, Size: int.MaxValue);
                for (var p = 0; p < n; p++)
                {
                    if (bound[p])
                    {
                        continue;
                    }

                    var lookup = FindLookup(staticLiterals, bound, p, out _) is not null;
                    var checks = staticLiterals.Count(l => l.Variables.Contains(p) && l.Variables.All(v => v == p || bound[v]));
                    var score = (Lookup: lookup, Checks: checks, Size: _domains[p].Count);
                    if (best < 0 || Better(score, bestScore))
                    {
                        best = p;
                        bestScore = score;
                    }
                }

                _order[depth] = best;
                _lookup[depth] = FindLookup(staticLiterals, bound, best, out _lookupPosition[depth]);
                bound[best] = true;
                _checks[depth] = staticLiterals
                    .Where(l => l.Variables.Contains(best) && l.Variables.All(v => bound[v]))
                    .ToList();
            }

            _groundChecks.AddRange(staticLiterals.Where(l => !l.Variables.Any()));
        }

        public void Run()
        {
            if (_groundChecks.All(Check))
            {
                Bind(0);
            }
        }

        private static bool Better((bool Lookup, int Checks, int Size) a, (bool Lookup, int Checks, int Size) b) =>
            a.Lookup != b.Lookup ? a.Lookup : a.Checks != b.Checks ? a.Checks > b.Checks : a.Size < b.Size;

        /// <summary>A positive static literal in which <paramref name="p"/> occurs once and every other argument is bound.</summary>
        private static Pattern? FindLookup(List<Pattern> literals, bool[] bound, int p, out int position)
        {
            position = -1;
            foreach (var literal in literals.Where(l => !l.Negated && !l.IsEquality))
            {
                var occurrences = literal.Arguments.Count(a => a.IsVariable && a.Variable == p);
                if (occurrences == 1 && literal.Arguments.All(a => !a.IsVariable || a.Variable == p || bound[a.Variable]))
                {
                    position = Array.FindIndex(literal.Arguments, a => a.IsVariable && a.Variable == p);
                    return literal;
                }
            }

            return null;
        }

        private void Bind(int depth)
        {
            if (depth == _order.Length)
            {
                Emit();
                return;
            }

            var p = _order[depth];
            IReadOnlyList<string> candidates = _domains[p];
            var filter = false;
            if (_lookup[depth] is { } lookup)
            {
                var position = _lookupPosition[depth];
                var others = lookup.Arguments.Where((_, i) => i != position).Select(Resolve).ToList();
                candidates = _staticFacts.Lookup(lookup.Predicate, position, others);
                filter = true;
            }

            foreach (var candidate in candidates)
            {
                if (filter && !_accepted[p].Contains(candidate))
                {
                    continue;
                }

                _values[p] = candidate;
                if (_checks[depth].TrueForAll(Check))
                {
                    Bind(depth + 1);
                }
            }

            _values[p] = null;
        }

        private string Resolve(Term term) => term.Constant ?? _values[term.Variable]!;

        private bool Check(Pattern literal)
        {
            var arguments = literal.Arguments.Select(Resolve).ToList();
            var holds = literal.IsEquality
                ? arguments.Count == 2 && arguments[0] == arguments[1]
                : _staticFacts.Contains(literal.Predicate, arguments);
            return holds != literal.Negated;
        }

        private void Emit()
        {
            if ((_output.Count & 1023) == 0)
            {
                _cancellationToken.ThrowIfCancellationRequested();
            }

            var pre = new List<int>();
            var negPre = new List<int>();
            foreach (var literal in _schema.Preconditions.Where(l => !l.IsEquality && !_static.Contains(l.Predicate)))
            {
                (literal.Negated ? negPre : pre).Add(_facts.Intern(literal.Predicate, literal.Arguments.Select(Resolve).ToList()));
            }

            var add = new List<int>();
            var del = new List<int>();
            foreach (var literal in _schema.Effects)
            {
                (literal.Negated ? del : add).Add(_facts.Intern(literal.Predicate, literal.Arguments.Select(Resolve).ToList()));
            }

            var arguments = _schema.ParameterNames.Select((name, i) => new StepArgument(name, _values[i]!)).ToList();
            _output.Add(new GroundAction(_schema.Action.Name, arguments, pre, negPre, add, del));
        }
    }
}
