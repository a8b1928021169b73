namespace Maximus.Plugins.Pddl;

/// <summary>
/// Parses the STRIPS subset of PDDL used by classic planning benchmarks (Blocksworld, Logistics,
/// Depots, their obfuscated variants): typing, constants, negative preconditions and equality.
/// Symbols are case-insensitive and returned in lower case. Errors throw
/// <see cref="PddlParseException"/> with the file name, line and column.
/// </summary>
public static class PddlParser
{
    /// <summary>The requirements this parser accepts.</summary>
    public static IReadOnlyList<string> SupportedRequirements { get; } =
        [":strips", ":typing", ":negative-preconditions", ":equality"];

    private static readonly HashSet<string> UnsupportedConditionForms =
        new(StringComparer.Ordinal) { "or", "imply", "exists", "forall", "when", "preference" };

    private static readonly HashSet<string> UnsupportedEffectForms =
        new(StringComparer.Ordinal) { "when", "forall", "increase", "decrease", "assign", "scale-up", "scale-down", "or", "exists", "imply" };

    /// <summary>Parses a domain definition <c>(define (domain NAME) ...)</c>.</summary>
    public static PddlDomain ParseDomain(string text, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var root = SExpressionReader.ReadSingle(text, fileName);
        return new DomainReader(fileName).Read(root) with { SourceText = text };
    }

    /// <summary>Parses a problem <c>(define (problem NAME) (:domain NAME) ...)</c> against its domain.</summary>
    public static PddlProblem ParseProblem(string text, PddlDomain domain, string? fileName = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(domain);
        var root = SExpressionReader.ReadSingle(text, fileName);
        return new ProblemReader(fileName, domain).Read(root) with { SourceText = text };
    }

    private static PddlParseException Error(string? fileName, SExpression at, string reason) =>
        new(fileName, at.Line, at.Column, reason);

    private abstract class ReaderBase(string? fileName)
    {
        protected string? FileName { get; } = fileName;

        protected PddlParseException Error(SExpression at, string reason) => PddlParser.Error(FileName, at, reason);

        /// <summary>Checks <c>(define (KIND NAME) ...)</c> and returns NAME.</summary>
        protected string ReadHeader(SExpression root, string kind)
        {
            if (!root.IsList || root.Head != "define")
            {
                throw Error(root, $"expected '(define ({kind} NAME) ...)'");
            }

            var items = root.Items!;
            if (items.Count < 2 || !items[1].IsList)
            {
                throw Error(items.Count < 2 ? root : items[1], $"expected '({kind} NAME)' after 'define'");
            }

            var header = items[1];
            var other = kind == "domain" ? "problem" : "domain";
            if (header.Head == other)
            {
                throw Error(header, $"expected a {kind} definition but found a {other} definition");
            }

            if (header.Head != kind || header.Items!.Count != 2 || !header.Items[1].IsAtom)
            {
                throw Error(header, $"expected '({kind} NAME)' after 'define'");
            }

            return header.Items[1].Atom!;
        }

        /// <summary>Returns the sections after the header; each must be a list headed by a ':keyword'.</summary>
        protected List<SExpression> ReadSections(SExpression root, string what)
        {
            var sections = new List<SExpression>();
            foreach (var item in root.Items!.Skip(2))
            {
                if (!item.IsList || item.Head is not { } head || !head.StartsWith(':'))
                {
                    throw Error(item, $"expected a {what} section such as '(:{(what == "domain" ? "predicates" : "init")} ...)' but found '{Shorten(item)}'");
                }

                sections.Add(item);
            }

            return sections;
        }

        protected void ReadRequirements(SExpression section, List<string> into)
        {
            foreach (var item in section.Items!.Skip(1))
            {
                if (!item.IsAtom || !item.Atom!.StartsWith(':'))
                {
                    throw Error(item, $"expected a requirement such as ':strips' but found '{Shorten(item)}'");
                }

                if (!SupportedRequirements.Contains(item.Atom))
                {
                    throw Error(
                        item,
                        $"requirement '{item.Atom}' is not supported (supported: {string.Join(", ", SupportedRequirements)})");
                }

                if (!into.Contains(item.Atom))
                {
                    into.Add(item.Atom);
                }
            }
        }

        /// <summary>Reads <c>a b - t c ?x</c>: names followed by an optional '- type'; untyped names get 'object'.</summary>
        protected List<TypedEntry> ReadTypedList(IEnumerable<SExpression> items, bool variables, string what)
        {
            var result = new List<TypedEntry>();
            var pending = new List<SExpression>();
            using var e = items.GetEnumerator();
            while (e.MoveNext())
            {
                var item = e.Current;
                if (item.IsList)
                {
                    throw item.Head == "either"
                        ? Error(item, $"'either' types are not supported in {what}")
                        : Error(item, $"expected a {(variables ? "variable" : "name")} in {what} but found '{Shorten(item)}'");
                }

                if (item.Atom == "-")
                {
                    if (pending.Count == 0)
                    {
                        throw Error(item, $"'-' must follow at least one name in {what}");
                    }

                    if (!e.MoveNext())
                    {
                        throw Error(item, $"missing type after '-' in {what}");
                    }

                    var type = e.Current;
                    if (type.IsList)
                    {
                        throw type.Head == "either"
                            ? Error(type, $"'either' types are not supported in {what}")
                            : Error(type, $"expected a type name after '-' in {what}");
                    }

                    if (type.Atom!.StartsWith('?') || type.Atom == "-")
                    {
                        throw Error(type, $"expected a type name after '-' in {what} but found '{type.Atom}'");
                    }

                    result.AddRange(pending.Select(p => new TypedEntry(p, p.Atom!, type, type.Atom!)));
                    pending.Clear();
                    continue;
                }

                var isVariable = item.Atom!.StartsWith('?');
                if (variables && !isVariable)
                {
                    throw Error(item, $"expected a variable such as '?x' in {what} but found '{item.Atom}'");
                }

                if (!variables && isVariable)
                {
                    throw Error(item, $"unexpected variable '{item.Atom}' in {what}");
                }

                if (isVariable && item.Atom.Length == 1)
                {
                    throw Error(item, $"'?' must be followed by a name in {what}");
                }

                pending.Add(item);
            }

            result.AddRange(pending.Select(p => new TypedEntry(p, p.Atom!, null, PddlDomain.ObjectType)));
            return result;
        }

        protected static string Shorten(SExpression e)
        {
            var text = e.ToString();
            return text.Length <= 40 ? text : text[..37] + "...";
        }
    }

    private sealed record TypedEntry(SExpression NameNode, string Name, SExpression? TypeNode, string Type);

    /// <summary>Where terms of a formula come from: action parameters and constants, or objects.</summary>
    private sealed class TermScope
    {
        public required string Where { get; init; }

        /// <summary>Parameter names with '?'; null for ground formulas (init, goal).</summary>
        public IReadOnlySet<string>? Variables { get; init; }

        public required IReadOnlySet<string> Symbols { get; init; }

        public required string SymbolKind { get; init; }

        public bool AllowEquality { get; init; }
    }

    private abstract class FormulaReader(string? fileName, IReadOnlyDictionary<string, PddlPredicate> predicates)
        : ReaderBase(fileName)
    {
        protected IReadOnlyDictionary<string, PddlPredicate> Predicates { get; } = predicates;

        /// <summary>A conjunction of (possibly negated) atoms, a single literal, or <c>()</c>.</summary>
        protected void ReadCondition(SExpression node, TermScope scope, List<PddlLiteral> into) =>
            ReadLiterals(node, scope, "a condition", UnsupportedConditionForms, into);

        /// <summary>A conjunction of atoms (add effects) and negated atoms (delete effects).</summary>
        protected void ReadEffect(SExpression node, TermScope scope, List<PddlLiteral> into) =>
            ReadLiterals(node, scope, "an effect", UnsupportedEffectForms, into);

        /// <summary>
        /// The shared shape of conditions and effects: <c>()</c>, a literal, or <c>(and ...)</c> of them.
        /// <paramref name="what"/> names the formula in messages; <paramref name="unsupported"/> lists the
        /// PDDL forms refused here (unless the domain declares a predicate of that name).
        /// </summary>
        private void ReadLiterals(
            SExpression node, TermScope scope, string what, IReadOnlySet<string> unsupported, List<PddlLiteral> into)
        {
            if (node.IsAtom)
            {
                throw Error(node, $"expected {what} such as '(and ...)' in {scope.Where} but found '{node.Atom}'");
            }

            if (node.Items!.Count == 0)
            {
                return;
            }

            switch (node.Head)
            {
                case null:
                    throw Error(node, $"expected a predicate name in {scope.Where}");
                case "and":
                    foreach (var child in node.Items.Skip(1))
                    {
                        ReadLiterals(child, scope, what, unsupported, into);
                    }

                    break;
                case "not":
                    into.Add(ReadNegation(node, scope));
                    break;
                case var form when unsupported.Contains(form) && !Predicates.ContainsKey(form):
                    throw Error(node, $"'{form}' is not supported in {scope.Where} (only conjunctions of literals)");
                default:
                    into.Add(ReadAtom(node, scope, negated: false));
                    break;
            }
        }

        private PddlLiteral ReadNegation(SExpression node, TermScope scope)
        {
            if (node.Items!.Count != 2)
            {
                throw Error(node, $"'not' takes exactly one atom in {scope.Where}");
            }

            var inner = node.Items[1];
            if (!inner.IsList || inner.Items!.Count == 0 || inner.Head is null)
            {
                throw Error(inner, $"'not' must wrap an atom such as '(on ?x ?y)' in {scope.Where}");
            }

            if (inner.Head is "and" or "not" || (UnsupportedConditionForms.Contains(inner.Head) && !Predicates.ContainsKey(inner.Head)))
            {
                throw Error(inner, $"'not' must wrap an atom, not '({inner.Head} ...)', in {scope.Where}");
            }

            return ReadAtom(inner, scope, negated: true);
        }

        private PddlLiteral ReadAtom(SExpression node, TermScope scope, bool negated)
        {
            var head = node.Items![0];
            var name = head.Atom!;
            var args = node.Items.Skip(1).ToList();
            if (name == PddlLiteral.EqualityPredicate)
            {
                if (!scope.AllowEquality)
                {
                    throw Error(head, $"equality is not supported in {scope.Where}");
                }

                if (args.Count != 2)
                {
                    throw Error(node, $"'=' takes exactly 2 arguments in {scope.Where}, got {args.Count}");
                }
            }
            else
            {
                if (name.StartsWith('?') || name.StartsWith(':'))
                {
                    throw Error(head, $"expected a predicate name in {scope.Where} but found '{name}'");
                }

                if (!Predicates.TryGetValue(name, out var predicate))
                {
                    throw Error(head, $"unknown predicate '{name}' in {scope.Where}");
                }

                if (predicate.Arity != args.Count)
                {
                    throw Error(
                        node,
                        $"wrong number of arguments for predicate '{name}' in {scope.Where}: expected {predicate.Arity}, got {args.Count}");
                }
            }

            var terms = new List<string>(args.Count);
            foreach (var arg in args)
            {
                terms.Add(ReadTerm(arg, scope));
            }

            return new PddlLiteral(name, terms, negated);
        }

        private string ReadTerm(SExpression arg, TermScope scope)
        {
            if (!arg.IsAtom)
            {
                throw Error(arg, $"expected a term but found '{Shorten(arg)}' in {scope.Where}");
            }

            var term = arg.Atom!;
            if (term.StartsWith('?'))
            {
                if (scope.Variables is null)
                {
                    throw Error(arg, $"variable '{term}' is not allowed in {scope.Where}");
                }

                if (!scope.Variables.Contains(term))
                {
                    throw Error(arg, $"unknown parameter variable '{term}' in {scope.Where}");
                }
            }
            else if (!scope.Symbols.Contains(term))
            {
                throw Error(arg, $"unknown {scope.SymbolKind} '{term}' in {scope.Where}");
            }

            return term;
        }
    }

    private sealed class DomainReader : FormulaReader
    {
        private readonly Dictionary<string, PddlPredicate> _predicates;
        private readonly Dictionary<string, string?> _types = new(StringComparer.Ordinal) { [PddlDomain.ObjectType] = null };
        private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

        public DomainReader(string? fileName)
            : this(fileName, new Dictionary<string, PddlPredicate>(StringComparer.Ordinal))
        {
        }

        // The base class resolves predicates through the same dictionary that ReadPredicates fills.
        private DomainReader(string? fileName, Dictionary<string, PddlPredicate> predicates)
            : base(fileName, predicates)
        {
            _predicates = predicates;
        }

        public PddlDomain Read(SExpression root)
        {
            var name = ReadHeader(root, "domain");
            var requirements = new List<string>();
            var single = new Dictionary<string, SExpression>(StringComparer.Ordinal);
            var actions = new List<SExpression>();
            foreach (var section in ReadSections(root, "domain"))
            {
                switch (section.Head)
                {
                    case ":requirements" or ":types" or ":constants" or ":predicates":
                        if (!single.TryAdd(section.Head, section))
                        {
                            throw Error(section, $"duplicate section '{section.Head}'");
                        }

                        break;
                    case ":action":
                        actions.Add(section);
                        break;
                    case ":functions":
                        throw Error(section, "':functions' (numeric fluents) is not supported; only STRIPS domains are");
                    case ":durative-action":
                        throw Error(section, "durative actions are not supported; only STRIPS domains are");
                    case ":derived":
                        throw Error(section, "derived predicates are not supported; only STRIPS domains are");
                    case ":constraints":
                        throw Error(section, "':constraints' is not supported; only STRIPS domains are");
                    default:
                        throw Error(section, $"unknown domain section '{section.Head}'");
                }
            }

            if (single.TryGetValue(":requirements", out var req))
            {
                ReadRequirements(req, requirements);
            }

            var typeOrder = single.TryGetValue(":types", out var types) ? ReadTypes(types) : [];
            var constants = single.TryGetValue(":constants", out var consts) ? ReadConstants(consts) : [];
            var predicates = single.TryGetValue(":predicates", out var preds) ? ReadPredicates(preds) : [];
            var actionList = new List<PddlAction>();
            foreach (var action in actions)
            {
                var parsed = ReadAction(action);
                if (actionList.Any(a => a.Name == parsed.Name))
                {
                    throw Error(action, $"action '{parsed.Name}' is declared twice");
                }

                actionList.Add(parsed);
            }

            var typeList = new List<PddlType> { new(PddlDomain.ObjectType, null) };
            typeList.AddRange(typeOrder.Select(t => new PddlType(t, _types[t])));
            return new PddlDomain(name, requirements, typeList, constants, predicates, actionList);
        }

        private List<string> ReadTypes(SExpression section)
        {
            var order = new List<string>();
            var nodes = new Dictionary<string, SExpression>(StringComparer.Ordinal);
            foreach (var entry in ReadTypedList(section.Items!.Skip(1), variables: false, "':types'"))
            {
                if (entry.Name == PddlDomain.ObjectType)
                {
                    if (entry.Type != PddlDomain.ObjectType)
                    {
                        throw Error(entry.NameNode, "type 'object' is the root and cannot have a parent");
                    }

                    continue;
                }

                if (_types.TryGetValue(entry.Name, out var existing) && nodes.ContainsKey(entry.Name))
                {
                    if (existing != entry.Type)
                    {
                        throw Error(entry.NameNode, $"type '{entry.Name}' is declared twice with different parents");
                    }

                    continue;
                }

                _types[entry.Name] = entry.Type;
                nodes[entry.Name] = entry.NameNode;
                if (!order.Contains(entry.Name))
                {
                    order.Add(entry.Name);
                }
            }

            // A parent named only after '-' is declared implicitly as a subtype of object.
            foreach (var parent in _types.Values.Where(p => p is not null).Distinct().ToList())
            {
                if (!_types.ContainsKey(parent!))
                {
                    _types[parent!] = PddlDomain.ObjectType;
                    order.Add(parent!);
                }
            }

            foreach (var type in order)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                string? current = type;
                while (current is not null)
                {
                    if (!seen.Add(current))
                    {
                        throw Error(nodes.GetValueOrDefault(type) ?? section, $"type '{type}' inherits from itself");
                    }

                    current = _types[current];
                }
            }

            return order;
        }

        private List<PddlTypedName> ReadConstants(SExpression section)
        {
            var result = new List<PddlTypedName>();
            foreach (var entry in ReadTypedList(section.Items!.Skip(1), variables: false, "':constants'"))
            {
                CheckType(entry, $"constant '{entry.Name}'");
                if (!_constants.TryAdd(entry.Name, entry.Type))
                {
                    throw Error(entry.NameNode, $"constant '{entry.Name}' is declared twice");
                }

                result.Add(new PddlTypedName(entry.Name, entry.Type));
            }

            return result;
        }

        private List<PddlPredicate> ReadPredicates(SExpression section)
        {
            var result = new List<PddlPredicate>();
            foreach (var item in section.Items!.Skip(1))
            {
                if (!item.IsList || item.Head is null || item.Head.StartsWith('?') || item.Head.StartsWith(':'))
                {
                    throw Error(item, $"expected a predicate declaration such as '(on ?x ?y)' but found '{Shorten(item)}'");
                }

                var name = item.Head;
                if (name is PddlLiteral.EqualityPredicate or "and" or "not")
                {
                    throw Error(item.Items![0], $"'{name}' cannot be declared as a predicate");
                }

                var parameters = new List<PddlTypedName>();
                foreach (var entry in ReadTypedList(item.Items!.Skip(1), variables: true, $"predicate '{name}'"))
                {
                    CheckType(entry, $"parameter '{entry.Name}' of predicate '{name}'");
                    parameters.Add(new PddlTypedName(entry.Name, entry.Type));
                }

                var predicate = new PddlPredicate(name, parameters);
                if (!_predicates.TryAdd(name, predicate))
                {
                    throw Error(item, $"predicate '{name}' is declared twice");
                }

                result.Add(predicate);
            }

            return result;
        }

        private PddlAction ReadAction(SExpression section)
        {
            var items = section.Items!;
            if (items.Count < 2 || !items[1].IsAtom || items[1].Atom!.StartsWith(':') || items[1].Atom!.StartsWith('?'))
            {
                throw Error(items.Count < 2 ? section : items[1], "expected an action name after ':action'");
            }

            var name = items[1].Atom!;
            SExpression? parametersNode = null, preconditionNode = null, effectNode = null;
            for (var i = 2; i < items.Count; i += 2)
            {
                var key = items[i];
                if (!key.IsAtom || !key.Atom!.StartsWith(':'))
                {
                    throw Error(key, $"expected ':parameters', ':precondition' or ':effect' in action '{name}' but found '{Shorten(key)}'");
                }

                if (i + 1 >= items.Count)
                {
                    throw Error(key, $"missing value after '{key.Atom}' in action '{name}'");
                }

                var value = items[i + 1];
                ref var slot = ref parametersNode;
                switch (key.Atom)
                {
                    case ":parameters":
                        slot = ref parametersNode;
                        break;
                    case ":precondition":
                        slot = ref preconditionNode;
                        break;
                    case ":effect":
                        slot = ref effectNode;
                        break;
                    default:
                        throw Error(key, $"unknown key '{key.Atom}' in action '{name}' (expected ':parameters', ':precondition' or ':effect')");
                }

                if (slot is not null)
                {
                    throw Error(key, $"duplicate '{key.Atom}' in action '{name}'");
                }

                slot = value;
            }

            var parameters = new List<PddlTypedName>();
            if (parametersNode is not null)
            {
                if (!parametersNode.IsList)
                {
                    throw Error(parametersNode, $"expected a parameter list such as '(?x ?y)' in action '{name}'");
                }

                foreach (var entry in ReadTypedList(parametersNode.Items!, variables: true, $"parameters of action '{name}'"))
                {
                    CheckType(entry, $"parameter '{entry.Name}' of action '{name}'");
                    if (parameters.Any(p => p.Name == entry.Name))
                    {
                        throw Error(entry.NameNode, $"parameter '{entry.Name}' is declared twice in action '{name}'");
                    }

                    parameters.Add(new PddlTypedName(entry.Name, entry.Type));
                }
            }

            var variables = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var constants = _constants.Keys.ToHashSet(StringComparer.Ordinal);
            var preconditions = new List<PddlLiteral>();
            if (preconditionNode is not null)
            {
                ReadCondition(
                    preconditionNode,
                    new TermScope
                    {
                        Where = $"precondition of action '{name}'",
                        Variables = variables,
                        Symbols = constants,
                        SymbolKind = "constant",
                        AllowEquality = true,
                    },
                    preconditions);
            }

            var effects = new List<PddlLiteral>();
            if (effectNode is not null)
            {
                ReadEffect(
                    effectNode,
                    new TermScope
                    {
                        Where = $"effect of action '{name}'",
                        Variables = variables,
                        Symbols = constants,
                        SymbolKind = "constant",
                    },
                    effects);
            }

            return new PddlAction(name, parameters, preconditions, effects);
        }

        private void CheckType(TypedEntry entry, string what)
        {
            if (!_types.ContainsKey(entry.Type))
            {
                throw Error(entry.TypeNode ?? entry.NameNode, $"undeclared type '{entry.Type}' of {what}");
            }
        }
    }

    private sealed class ProblemReader(string? fileName, PddlDomain domain)
        : FormulaReader(fileName, domain.Predicates.ToDictionary(p => p.Name, StringComparer.Ordinal))
    {
        public PddlProblem Read(SExpression root)
        {
            var name = ReadHeader(root, "problem");
            var single = new Dictionary<string, SExpression>(StringComparer.Ordinal);
            foreach (var section in ReadSections(root, "problem"))
            {
                switch (section.Head)
                {
                    case ":domain" or ":requirements" or ":objects" or ":init" or ":goal":
                        if (!single.TryAdd(section.Head, section))
                        {
                            throw Error(section, $"duplicate section '{section.Head}'");
                        }

                        break;
                    case ":metric":
                        throw Error(section, "':metric' is not supported (numeric fluents); only STRIPS problems are");
                    case ":constraints":
                        throw Error(section, "':constraints' is not supported; only STRIPS problems are");
                    default:
                        throw Error(section, $"unknown problem section '{section.Head}'");
                }
            }

            if (!single.TryGetValue(":domain", out var domainSection))
            {
                throw Error(root, "missing '(:domain NAME)' in problem");
            }

            if (domainSection.Items!.Count != 2 || !domainSection.Items[1].IsAtom)
            {
                throw Error(domainSection, "expected '(:domain NAME)'");
            }

            var domainName = domainSection.Items[1].Atom!;
            if (domainName != domain.Name)
            {
                throw Error(
                    domainSection.Items[1],
                    $"problem '{name}' is for domain '{domainName}' but the domain given is '{domain.Name}'");
            }

            if (single.TryGetValue(":requirements", out var req))
            {
                ReadRequirements(req, []);
            }

            var objects = new List<PddlTypedName>();
            var symbols = new HashSet<string>(domain.Constants.Select(c => c.Name), StringComparer.Ordinal);
            if (single.TryGetValue(":objects", out var objectSection))
            {
                foreach (var entry in ReadTypedList(objectSection.Items!.Skip(1), variables: false, "':objects'"))
                {
                    if (!domain.HasType(entry.Type))
                    {
                        throw Error(entry.TypeNode ?? entry.NameNode, $"undeclared type '{entry.Type}' of object '{entry.Name}'");
                    }

                    var constant = domain.Constants.FirstOrDefault(c => c.Name == entry.Name);
                    if (constant is not null)
                    {
                        if (constant.Type != entry.Type)
                        {
                            throw Error(entry.NameNode, $"object '{entry.Name}' is already a constant of type '{constant.Type}'");
                        }

                        continue;
                    }

                    if (!symbols.Add(entry.Name))
                    {
                        throw Error(entry.NameNode, $"object '{entry.Name}' is declared twice");
                    }

                    objects.Add(new PddlTypedName(entry.Name, entry.Type));
                }
            }

            var init = new List<PddlLiteral>();
            if (single.TryGetValue(":init", out var initSection))
            {
                var scope = new TermScope { Where = "':init'", Symbols = symbols, SymbolKind = "object" };
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in initSection.Items!.Skip(1))
                {
                    if (!item.IsList || item.Head is null)
                    {
                        throw Error(item, $"expected a ground atom such as '(on a b)' in ':init' but found '{Shorten(item)}'");
                    }

                    if (item.Head == "not")
                    {
                        throw Error(item, "negative literals are not allowed in ':init' (atoms not listed are false)");
                    }

                    if (item.Head is "and" || (UnsupportedConditionForms.Contains(item.Head) && !Predicates.ContainsKey(item.Head)))
                    {
                        throw Error(item, $"'{item.Head}' is not allowed in ':init' (only ground atoms)");
                    }

                    var atoms = new List<PddlLiteral>();
                    ReadCondition(item, scope, atoms);
                    foreach (var atom in atoms.Where(a => seen.Add(a.ToString())))
                    {
                        init.Add(atom);
                    }
                }
            }

            if (!single.TryGetValue(":goal", out var goalSection))
            {
                throw Error(root, "missing '(:goal ...)' in problem");
            }

            if (goalSection.Items!.Count != 2)
            {
                throw Error(goalSection, "expected exactly one formula in ':goal', such as '(and (on a b) (on b c))'");
            }

            var goal = new List<PddlLiteral>();
            ReadCondition(goalSection.Items[1], new TermScope { Where = "':goal'", Symbols = symbols, SymbolKind = "object" }, goal);
            var goalKeys = new HashSet<string>(StringComparer.Ordinal);
            return new PddlProblem(name, domainName, objects, init, goal.Where(g => goalKeys.Add(g.ToString())).ToList());
        }
    }
}
