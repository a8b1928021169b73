using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;

namespace Maximus.Contracts.Execution;

/// <summary>Asks the executor to run one plan step through a plugin.</summary>
/// <param name="RequestId">Idempotency key passed to the plugin: the same id is applied at most once.</param>
public sealed record ExecuteStepRequest(
    string PluginAppId,
    string? Context,
    PlanStep Step,
    string RequestId,
    string MissionId,
    string AgentId,
    int StepIndex);

public sealed record ExecuteStepResponse(ActionResult Result, double DurationMs);
