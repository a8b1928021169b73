using System.Text.Json;
using System.Text.Json.Nodes;
using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Pddl;

/// <summary>
/// The world of the PDDL plugin: a domain and a problem whose state changes as actions are applied.
/// Thread-safe. Requests are idempotent by <see cref="ActionRequest.RequestId"/>: a processed
/// request (succeeded or failed) is answered again from the record, with <c>Replayed = true</c>.
/// Rejected requests (unknown action, bad arguments) are not recorded.
/// </summary>
public sealed class PddlEnvironment
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _objectTypes = new(StringComparer.Ordinal);
    private readonly List<PluginObject> _objects = [];
    private readonly Dictionary<string, PddlPredicate> _predicates;
    private readonly SortedDictionary<string, ContractLiteral> _facts = new(StringComparer.Ordinal);
    private readonly List<PddlAppliedRequest> _applied = [];
    private readonly Dictionary<string, PddlAppliedRequest> _appliedById = new(StringComparer.Ordinal);
    private long _version;

    public PddlEnvironment(PddlDomain domain, PddlProblem problem)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(problem);
        if (!string.Equals(domain.Name, problem.DomainName, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException(
                $"problem '{problem.Name}' is for domain '{problem.DomainName}' but the domain is '{domain.Name}'",
                nameof(problem));
        }

        Domain = domain;
        Problem = problem;
        _predicates = domain.Predicates.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var o in domain.Constants.Concat(problem.Objects))
        {
            if (_objectTypes.TryAdd(o.Name, o.Type))
            {
                _objects.Add(new PluginObject(o.Name, o.Type));
            }
        }

        // The contract has no type hierarchy: a consumer matches a parameter of type T with the
        // objects listed with type T. So an object whose type is a proper subtype of a type used by
        // an action parameter is listed again with that supertype (after every object's own entry).
        var parameterTypes = domain.Actions.SelectMany(a => a.Parameters).Select(p => p.Type).ToHashSet(StringComparer.Ordinal);
        foreach (var o in _objects.ToList())
        {
            foreach (var type in parameterTypes.Where(t => t != PddlDomain.ObjectType && t != o.Type && domain.IsSubtypeOf(o.Type, t)).Order(StringComparer.Ordinal))
            {
                _objects.Add(new PluginObject(o.Name, type));
            }
        }

        foreach (var atom in problem.Init)
        {
            var literal = Validate(new ContractLiteral(atom.Predicate, atom.Arguments), "init");
            _facts[Key(literal)] = literal;
        }

        Goal = problem.Goal.Select(g => new ContractLiteral(g.Predicate, g.Arguments, g.Negated)).ToList();
    }

    public PddlDomain Domain { get; }

    public PddlProblem Problem { get; }

    /// <summary>The problem's goal as contract literals.</summary>
    public IReadOnlyList<ContractLiteral> Goal { get; }

    /// <summary>Number of state changes: applied actions and external changes.</summary>
    public long Version
    {
        get
        {
            lock (_gate)
            {
                return _version;
            }
        }
    }

    public bool GoalReached
    {
        get
        {
            lock (_gate)
            {
                return GoalReachedUnlocked();
            }
        }
    }

    /// <summary>Ids of processed requests (succeeded or failed), in the order they were processed.</summary>
    public IReadOnlyList<string> AppliedRequestIds
    {
        get
        {
            lock (_gate)
            {
                return _applied.Select(a => a.RequestId).ToList();
            }
        }
    }

    /// <summary>Parses a domain and a problem and creates the environment in the problem's initial state.</summary>
    public static PddlEnvironment Create(
        string domainText,
        string problemText,
        string? domainFileName = null,
        string? problemFileName = null)
    {
        var domain = PddlParser.ParseDomain(domainText, domainFileName);
        var problem = PddlParser.ParseProblem(problemText, domain, problemFileName);
        return new PddlEnvironment(domain, problem);
    }

    /// <summary>Restores an environment saved with <see cref="ToSnapshot"/>.</summary>
    public static PddlEnvironment FromSnapshot(PddlEnvironmentSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var environment = Create(snapshot.DomainText, snapshot.ProblemText, "snapshot:domain", "snapshot:problem");
        environment._facts.Clear();
        foreach (var fact in snapshot.Facts ?? [])
        {
            var literal = environment.Validate(fact, "snapshot");
            environment._facts[Key(literal)] = literal;
        }

        foreach (var applied in snapshot.AppliedRequests ?? [])
        {
            var record = applied with { Result = applied.Result with { State = null, Replayed = false } };
            if (environment._appliedById.TryAdd(record.RequestId, record))
            {
                environment._applied.Add(record);
            }
        }

        environment._version = snapshot.Version;
        return environment;
    }

    public PddlEnvironmentSnapshot ToSnapshot()
    {
        lock (_gate)
        {
            return new PddlEnvironmentSnapshot(
                Domain.SourceText ?? PddlWriter.Write(Domain),
                Problem.SourceText ?? PddlWriter.Write(Problem),
                [.. _facts.Values],
                [.. _applied],
                _version);
        }
    }

    /// <summary>The plugin manifest: one action per PDDL action, with its preconditions and effects.</summary>
    public PluginManifest Manifest(string pluginName, string version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pluginName);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        var actions = Domain.Actions.Select(a => new PluginAction(
            a.Name,
            a.Parameters.Select(p => new ActionParameter(p.Name.TrimStart('?'), p.Type)).ToList(),
            InputSchema(a),
            a.Preconditions.Select(ToContract).ToList(),
            a.Effects.Select(ToContract).ToList(),
            Description: $"PDDL action ({a.Name}{string.Concat(a.Parameters.Select(p => " " + p.Name))})"))
            .ToList();
        return new PluginManifest(
            pluginName,
            version,
            PluginContract.Version,
            actions,
            $"PDDL environment: domain '{Domain.Name}', problem '{Problem.Name}'");
    }

    /// <summary>
    /// The objects (constants included), the true facts, the goal and whether it is reached. Each
    /// object is listed with its own type; in typed domains with a hierarchy it is listed again, after
    /// all objects, with each supertype that an action parameter uses (the contract has no hierarchy).
    /// </summary>
    public PluginState State()
    {
        lock (_gate)
        {
            return StateUnlocked();
        }
    }

    /// <summary>
    /// Applies <paramref name="actionName"/> with the request's arguments (by parameter name, without '?').
    /// Rejected: unknown action or bad arguments. Failed: a precondition does not hold; the state is unchanged.
    /// Succeeded: delete effects, then add effects, are applied.
    /// </summary>
    public ActionResult Apply(ActionRequest request, string actionName)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (string.IsNullOrWhiteSpace(request.RequestId))
            {
                return Reject("the request id is required");
            }

            var name = (actionName ?? string.Empty).Trim().ToLowerInvariant();
            var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in request.Arguments ?? new Dictionary<string, string>())
            {
                var parameter = key.Trim().TrimStart('?').ToLowerInvariant();
                if (!arguments.TryAdd(parameter, (value ?? string.Empty).Trim().ToLowerInvariant()))
                {
                    return Reject($"argument '{parameter}' is given twice");
                }
            }

            if (_appliedById.TryGetValue(request.RequestId, out var recorded))
            {
                if (recorded.Action != name || !SameArguments(recorded.Arguments, arguments))
                {
                    return Reject(
                        $"request id '{request.RequestId}' was already used for {Describe(recorded.Action, recorded.Arguments)}");
                }

                return recorded.Result with { Replayed = true, State = StateUnlocked() };
            }

            var action = Domain.Actions.FirstOrDefault(a => a.Name == name);
            if (action is null)
            {
                return Reject($"unknown action '{actionName}' (actions: {string.Join(", ", Domain.Actions.Select(a => a.Name))})");
            }

            var binding = new Dictionary<string, string>(StringComparer.Ordinal);
            var ordered = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var parameter in action.Parameters)
            {
                var parameterName = parameter.Name.TrimStart('?');
                if (!arguments.TryGetValue(parameterName, out var value) || value.Length == 0)
                {
                    return Reject($"missing argument '{parameterName}' for action '{name}'");
                }

                if (!_objectTypes.TryGetValue(value, out var type))
                {
                    return Reject($"unknown object '{value}' for argument '{parameterName}' of action '{name}'");
                }

                if (!Domain.IsSubtypeOf(type, parameter.Type))
                {
                    return Reject(
                        $"object '{value}' has type '{type}' but argument '{parameterName}' of action '{name}' needs type '{parameter.Type}'");
                }

                binding[parameter.Name] = value;
                ordered[parameterName] = value;
            }

            var extra = arguments.Keys.Where(k => !ordered.ContainsKey(k)).ToList();
            if (extra.Count > 0)
            {
                var expected = action.Parameters.Count == 0
                    ? "none"
                    : string.Join(", ", action.Parameters.Select(p => p.Name.TrimStart('?')));
                return Reject($"unknown argument(s) {string.Join(", ", extra.Select(e => $"'{e}'"))} for action '{name}' (parameters: {expected})");
            }

            var step = Describe(name, ordered);
            var unmet = action.Preconditions.Select(p => Ground(p, binding)).Where(p => !HoldsUnlocked(p)).ToList();
            ActionResult result;
            if (unmet.Count > 0)
            {
                result = new ActionResult(
                    ActionOutcome.Failed,
                    $"{step} was not applied: {unmet.Count} precondition(s) do not hold",
                    Error: $"preconditions not satisfied: {string.Join(", ", unmet)}");
            }
            else
            {
                var deleted = new List<ContractLiteral>();
                var added = new List<ContractLiteral>();
                foreach (var effect in action.Effects.Where(e => e.Negated))
                {
                    var fact = Ground(effect, binding) with { Negated = false };
                    if (_facts.Remove(Key(fact)))
                    {
                        deleted.Add(fact);
                    }
                }

                foreach (var effect in action.Effects.Where(e => !e.Negated))
                {
                    var fact = Ground(effect, binding);
                    var key = Key(fact);
                    if (_facts.TryAdd(key, fact) && deleted.RemoveAll(d => Key(d) == key) == 0)
                    {
                        added.Add(fact);
                    }
                }

                _version++;
                var changes = string.Join(
                    "; ",
                    new[]
                    {
                        added.Count > 0 ? "now true: " + string.Join(", ", added) : null,
                        deleted.Count > 0 ? "no longer true: " + string.Join(", ", deleted) : null,
                    }.Where(s => s is not null));
                result = new ActionResult(
                    ActionOutcome.Succeeded,
                    changes.Length == 0 ? $"{step} applied; nothing changed" : $"{step} applied; {changes}");
            }

            var record = new PddlAppliedRequest(request.RequestId, name, ordered, result);
            _applied.Add(record);
            _appliedById[record.RequestId] = record;
            return result with { State = StateUnlocked() };
        }
    }

    /// <summary>
    /// Changes the world outside any action (someone else acted): deletes, then adds, ground atoms.
    /// Throws <see cref="ArgumentException"/> for unknown predicates, wrong arity or unknown objects.
    /// </summary>
    public void ExternalChange(IEnumerable<ContractLiteral> add, IEnumerable<ContractLiteral> delete)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(delete);
        var toAdd = add.Select(a => Validate(a, "external change")).ToList();
        var toDelete = delete.Select(d => Validate(d, "external change")).ToList();
        lock (_gate)
        {
            var changed = false;
            foreach (var fact in toDelete)
            {
                changed |= _facts.Remove(Key(fact));
            }

            foreach (var fact in toAdd)
            {
                changed |= _facts.TryAdd(Key(fact), fact);
            }

            if (changed)
            {
                _version++;
            }
        }
    }

    private static string Key(ContractLiteral fact) => fact.ToString();

    private static bool SameArguments(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static string Describe(string action, IReadOnlyDictionary<string, string> arguments) =>
        arguments.Count == 0 ? $"({action})" : $"({action} {string.Join(' ', arguments.Values)})";

    private static ContractLiteral ToContract(PddlLiteral literal) =>
        new(literal.Predicate, literal.Arguments, literal.Negated);

    private static ContractLiteral Ground(PddlLiteral literal, Dictionary<string, string> binding) =>
        new(
            literal.Predicate,
            literal.Arguments.Select(a => binding.TryGetValue(a, out var value) ? value : a).ToList(),
            literal.Negated);

    private static JsonElement InputSchema(PddlAction action)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var parameter in action.Parameters)
        {
            var name = parameter.Name.TrimStart('?');
            properties[name] = new JsonObject
            {
                ["type"] = "string",
                ["description"] = $"an object of type '{parameter.Type}'",
            };
            required.Add(name);
        }

        var schema = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["required"] = required,
            ["additionalProperties"] = false,
        };
        return JsonSerializer.SerializeToElement(schema);
    }

    private ActionResult Reject(string error) =>
        new(ActionOutcome.Rejected, "request rejected", StateUnlocked(), error);

    private PluginState StateUnlocked() =>
        new([.. _objects], [.. _facts.Values], Goal, GoalReachedUnlocked(), _version);

    private bool GoalReachedUnlocked() => Goal.All(HoldsUnlocked);

    private bool HoldsUnlocked(ContractLiteral literal)
    {
        var holds = literal.Predicate == PddlLiteral.EqualityPredicate
            ? literal.Arguments.Count == 2 && literal.Arguments[0] == literal.Arguments[1]
            : _facts.ContainsKey(Key(literal with { Negated = false }));
        return holds != literal.Negated;
    }

    /// <summary>Normalises a ground atom to lower case and checks its predicate, arity and objects.</summary>
    private ContractLiteral Validate(ContractLiteral literal, string where)
    {
        ArgumentNullException.ThrowIfNull(literal);
        var predicate = (literal.Predicate ?? string.Empty).ToLowerInvariant();
        var arguments = (literal.Arguments ?? []).Select(a => (a ?? string.Empty).ToLowerInvariant()).ToList();
        if (literal.Negated)
        {
            throw new ArgumentException($"{where}: facts are atoms, not negated literals: {literal}", nameof(literal));
        }

        if (!_predicates.TryGetValue(predicate, out var declared))
        {
            throw new ArgumentException($"{where}: unknown predicate '{predicate}' in {literal}", nameof(literal));
        }

        if (declared.Arity != arguments.Count)
        {
            throw new ArgumentException(
                $"{where}: predicate '{predicate}' takes {declared.Arity} argument(s) but {literal} has {arguments.Count}",
                nameof(literal));
        }

        var unknown = arguments.FirstOrDefault(a => !_objectTypes.ContainsKey(a));
        if (unknown is not null)
        {
            throw new ArgumentException($"{where}: unknown object '{unknown}' in {literal}", nameof(literal));
        }

        return new ContractLiteral(predicate, arguments);
    }
}
