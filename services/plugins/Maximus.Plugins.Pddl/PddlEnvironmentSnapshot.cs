using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Pddl;

/// <summary>A request the environment has processed (succeeded or failed) and the result it answered.</summary>
/// <param name="Arguments">The normalised arguments (lower case, parameter names without '?').</param>
/// <param name="Result">The recorded result; its <see cref="ActionResult.State"/> is not stored.</param>
public sealed record PddlAppliedRequest(
    string RequestId,
    string Action,
    IReadOnlyDictionary<string, string> Arguments,
    ActionResult Result);

/// <summary>
/// Everything needed to restore a <see cref="PddlEnvironment"/>: serialise it with System.Text.Json
/// (for example <c>JsonSerializerDefaults.Web</c>) and pass it to <see cref="PddlEnvironment.FromSnapshot"/>.
/// </summary>
/// <param name="Facts">The ground atoms true now.</param>
/// <param name="AppliedRequests">Processed requests in order, for idempotent replays.</param>
/// <param name="Version">The state version (number of state changes).</param>
public sealed record PddlEnvironmentSnapshot(
    string DomainText,
    string ProblemText,
    IReadOnlyList<ContractLiteral> Facts,
    IReadOnlyList<PddlAppliedRequest> AppliedRequests,
    long Version);
