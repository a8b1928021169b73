using System.Diagnostics;
using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Execution;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.Contracts.Reflection;
using Maximus.Reflection.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Maximus.Execution;

/// <summary>
/// Runs one plan step by invoking the plugin's action, then logs it for asynchronous reflection. A plugin that does not
/// answer within <see cref="ExecutionOptions.StepTimeout"/>, or answers something that is not an action result, makes the
/// step <see cref="ActionOutcome.Failed"/> with a reason naming the plugin and the problem (the mission then replans).
/// </summary>
public sealed partial class StepExecutor(
    IServiceInvoker invoker, PrioritizedReflectorClient reflector, TimeProvider time, ILogger<StepExecutor> logger, IOptions<ExecutionOptions> options)
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
        var result = await InvokePluginAsync(request, actionRequest, cancellationToken).ConfigureAwait(false);
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

    /// <summary>The plugin's answer, or a failed result that says why there is none (a timeout, an answer of the wrong shape).</summary>
    private async Task<ActionResult> InvokePluginAsync(ExecuteStepRequest request, ActionRequest actionRequest, CancellationToken cancellationToken)
    {
        var timeout = options.Value.StepTimeout;
        var plugin = request.PluginAppId;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // WaitAsync also abandons a plugin that ignores the cancellation.
            var result = await invoker.InvokeAsync<ActionRequest, ActionResult>(plugin, PluginContract.ActionMethod(request.Step.Action), actionRequest, deadline.Token)
                .WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            return CheckShape(plugin, request.Step.Action, result);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is TimeoutException or OperationCanceledException)
        {
            LogPluginTimedOut(logger, plugin, request.Step.Action, timeout.TotalSeconds);
            return Failed(plugin, $"did not answer '{request.Step.Action}' within the step timeout of {timeout.TotalSeconds:0.###} s ({ExecutionOptions.Section}:StepTimeout)");
        }
        catch (InvocationException ex) when (ex.Status == 502 && ex.InnerException is JsonException)
        {
            LogPluginAnsweredGarbage(logger, ex, plugin, request.Step.Action);
            return Failed(plugin, $"answered '{request.Step.Action}' with something that is not an action result ({ex.Detail})");
        }
    }

    private static ActionResult CheckShape(string plugin, string action, ActionResult? result)
    {
        string? problem = result switch
        {
            null => "a JSON null instead of an action result",
            { } r when !Enum.IsDefined(r.Outcome) => $"an unknown outcome {(int)r.Outcome}",
            _ => null,
        };
        return problem is null ? result! : Failed(plugin, $"answered '{action}' with {problem}");
    }

    private static ActionResult Failed(string plugin, string problem)
    {
        var message = $"Plugin '{plugin}' {problem}.";
        return new ActionResult(ActionOutcome.Failed, message, Error: message);
    }

    private const int MaxActionLength = 256;

    private static void Validate(ExecuteStepRequest request)
    {
        if (!AppIds.IsValid(request.PluginAppId))
        {
            throw ProblemException.Invalid("pluginAppId", "must be a Dapr app id (lower-case letters, digits and '-').");
        }

        if (string.IsNullOrWhiteSpace(request.Step?.Action))
        {
            throw ProblemException.Invalid("step.action", "is required.");
        }

        // The action is a segment of the plugin's route ({app}/plugin/actions/{action}): a name, not arbitrary text.
        if (request.Step.Action.Length > MaxActionLength || !request.Step.Action.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            throw ProblemException.Invalid("step.action", $"must be an action name of at most {MaxActionLength} characters (ASCII letters, digits, '-', '_', '.', ':').");
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin {Plugin} did not answer {Action} within {Seconds} s: the step fails")]
    private static partial void LogPluginTimedOut(ILogger logger, string plugin, string action, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin {Plugin} answered {Action} with something that is not an action result: the step fails")]
    private static partial void LogPluginAnsweredGarbage(ILogger logger, Exception exception, string plugin, string action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The reflector client refused the execution log {LogId}")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string logId);
}
