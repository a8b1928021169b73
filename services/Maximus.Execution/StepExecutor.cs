using System.Diagnostics;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Reflection.Client;
using Microsoft.Extensions.Logging;

namespace Maximus.Execution;

/// <summary>Runs one plan step by invoking the plugin's action, then logs it for asynchronous reflection.</summary>
public sealed partial class StepExecutor(IServiceInvoker invoker, PrioritizedReflectorClient reflector, TimeProvider time, ILogger<StepExecutor> logger)
{
    private static readonly ActivitySource Source = new("Maximus.Execution");

    public async Task<ExecuteStepResponse> ExecuteAsync(ExecuteStepRequest request, CancellationToken cancellationToken)
    {
        Validate(request);
        using var activity = Source.StartActivity("execute-step");
        activity?.SetTag("maximus.mission_id", request.MissionId);
        activity?.SetTag("maximus.action", request.Step.Action);
        var started = Stopwatch.GetTimestamp();
        var actionRequest = new ActionRequest(request.RequestId, request.Step.ArgumentMap(), request.Context, request.MissionId);
        var result = await invoker.InvokeAsync<ActionRequest, ActionResult>(
            request.PluginAppId, PluginContract.ActionMethod(request.Step.Action), actionRequest, cancellationToken).ConfigureAwait(false);
        var durationMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var log = new ExecutionLog(
            LogId: request.RequestId,
            MissionId: request.MissionId,
            AgentId: request.AgentId,
            StepIndex: request.StepIndex,
            Action: request.Step.ToString(),
            Outcome: result.Outcome,
            DurationMs: durationMs,
            Timestamp: time.GetUtcNow(),
            Observation: result.Observation,
            Error: result.Error,
            Priority: ReflectionPriority.High);
        try
        {
            // HIGH: fire-and-forget; the client spools to its outbox if the broker is down.
            await reflector.SubmitAsync(log, cancellationToken).ConfigureAwait(false);
        }
        catch (ReflectionLogRejectedException ex)
        {
            // A log the reflector can never take must not fail the step it describes.
            LogPublishFailed(logger, ex, request.RequestId);
        }

        return new ExecuteStepResponse(result, durationMs);
    }

    private static void Validate(ExecuteStepRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.PluginAppId))
        {
            throw ProblemException.Invalid("pluginAppId", "is required.");
        }

        if (string.IsNullOrWhiteSpace(request.Step?.Action))
        {
            throw ProblemException.Invalid("step.action", "is required.");
        }

        if (string.IsNullOrWhiteSpace(request.RequestId))
        {
            throw ProblemException.Invalid("requestId", "is required.");
        }

        if (string.IsNullOrWhiteSpace(request.MissionId))
        {
            throw ProblemException.Invalid("missionId", "is required.");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reflector client refused the execution log {LogId}")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string logId);
}
