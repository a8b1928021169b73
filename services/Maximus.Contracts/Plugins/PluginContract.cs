using System.Text.Json;
using System.Text.Json.Serialization;

namespace Maximus.Contracts.Plugins;

/// <summary>
/// Plugin contract v1. A plugin is a Dapr app that serves <c>GET plugin/manifest</c>,
/// <c>GET plugin/state</c> and <c>POST plugin/actions/{name}</c>. Changes are additive only:
/// a v1 plugin keeps working with every later Maximus.
/// </summary>
public static class PluginContract
{
    public const string Version = "1";
    public const string ManifestMethod = "plugin/manifest";
    public const string StateMethod = "plugin/state";

    public static string ActionMethod(string action) => $"plugin/actions/{Uri.EscapeDataString(action)}";

    /// <summary>Adds the optional context (an environment or session id) as a query string.</summary>
    public static string WithContext(string method, string? context) =>
        string.IsNullOrEmpty(context) ? method : $"{method}?context={Uri.EscapeDataString(context)}";
}

/// <summary>What <c>GET plugin/manifest</c> returns.</summary>
public sealed record PluginManifest(
    string Name,
    string Version,
    string ContractVersion,
    IReadOnlyList<PluginAction> Actions,
    string? Description = null);

/// <summary>An action a plugin serves; preconditions and effects are optional (STRIPS-like).</summary>
public sealed record PluginAction(
    string Name,
    IReadOnlyList<ActionParameter> Parameters,
    JsonElement? InputSchema = null,
    IReadOnlyList<ContractLiteral>? Preconditions = null,
    IReadOnlyList<ContractLiteral>? Effects = null,
    string? Description = null,
    bool Risky = false);

/// <summary>A named, optionally typed parameter. Names are given without the PDDL '?'.</summary>
public sealed record ActionParameter(string Name, string Type = "object");

/// <summary>
/// A literal over a predicate. In an action's preconditions and effects its arguments name the
/// action's parameters as <c>?name</c> or constants; in a state or goal they are objects.
/// </summary>
public sealed record ContractLiteral(string Predicate, IReadOnlyList<string> Arguments, bool Negated = false)
{
    public override string ToString()
    {
        var atom = Arguments.Count == 0 ? $"({Predicate})" : $"({Predicate} {string.Join(' ', Arguments)})";
        return Negated ? $"(not {atom})" : atom;
    }
}

/// <summary>An object in a plugin's world, with its type ("object" when untyped).</summary>
public sealed record PluginObject(string Name, string Type = "object");

/// <summary>What <c>GET plugin/state</c> returns: the objects, the true ground facts and the goal.</summary>
public sealed record PluginState(
    IReadOnlyList<PluginObject> Objects,
    IReadOnlyList<ContractLiteral> Facts,
    IReadOnlyList<ContractLiteral>? Goal = null,
    bool? GoalReached = null,
    long Version = 0);

/// <summary>The body of <c>POST plugin/actions/{name}</c>.</summary>
/// <param name="RequestId">Idempotency key: a plugin applies a request id at most once.</param>
/// <param name="Arguments">Arguments by parameter name.</param>
/// <param name="Context">Optional environment or session id.</param>
public sealed record ActionRequest(
    string RequestId,
    IReadOnlyDictionary<string, string> Arguments,
    string? Context = null,
    string? MissionId = null);

[JsonConverter(typeof(JsonStringEnumConverter<ActionOutcome>))]
public enum ActionOutcome
{
    Succeeded,
    Failed,
    Rejected,
}

/// <summary>The answer of <c>POST plugin/actions/{name}</c>.</summary>
public sealed record ActionResult(
    ActionOutcome Outcome,
    string Observation,
    PluginState? State = null,
    string? Error = null,
    bool Replayed = false);
