using System.Diagnostics;
using Maximus.Contracts.Planning;
using Maximus.Llm;
using Maximus.Planning.Symbolic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Planning.Llm;

/// <summary>
/// Plans with a language model over the plugins' manifests. The answer (structured JSON) is checked against the
/// manifest (<see cref="LlmPlanValidator"/>); an answer with no valid plan is sent back with its errors and the model
/// asked again, at most <see cref="LlmPlannerOptions.MaxAttempts"/> times. Without a model (no <see cref="IChatClient"/>),
/// after the last rejected answer, or when the model fails (timeout, budget, API error), the symbolic planner answers:
/// the candidates' <see cref="CandidatePlan.Planner"/> says which one did. With <see cref="PlanningRequest.AllowFallback"/>
/// off the symbolic planner never answers: such a request gets no candidate and the reason.
/// Whether a plan reaches the goal is the world model's call (the mission simulates every candidate).
/// </summary>
public sealed partial class LlmPlanner(IChatClient? chat, SymbolicPlanner symbolic, LlmPlannerOptions options, ILogger<LlmPlanner> logger)
{
    public const string PlannerName = "llm";

    /// <summary>True when a model is configured.</summary>
    public bool HasModel => chat is not null;

    public async Task<PlanningResponse> PlanAsync(PlanningRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (chat is null)
        {
            LogNoModel(logger);
            return request.AllowFallback
                ? await Symbolic(request, cancellationToken).ConfigureAwait(false)
                : NoPlan($"no model is configured ({NoModelHint}) and fallback to the symbolic planner is off", 0);
        }

        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.TimeLimit);
        var validator = new LlmPlanValidator(request, options.MaxSteps);
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, LlmPlanPrompt.System),
            new(ChatRole.User, LlmPlanPrompt.User(request)),
        };
        var chatOptions = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(LlmPlanPrompt.Schema(request), "plans", "Candidate plans over the plugin's actions."),
        }
            .WithThinkingMode(options.Mode)
            .WithTaskProfile(Profile(request));

        var errors = new List<string>();
        try
        {
            for (var attempt = 1; attempt <= Math.Max(1, options.MaxAttempts); attempt++)
            {
                var response = await chat.GetResponseAsync(messages, chatOptions, limit.Token).ConfigureAwait(false);
                var (valid, rejected) = validator.Check(response.Text);
                if (valid.Count > 0)
                {
                    LogPlanned(logger, valid.Count, attempt, rejected.Count);
                    var candidates = valid
                        .DistinctBy(steps => string.Join(' ', steps))
                        .OrderBy(steps => steps.Count)
                        .Take(Math.Max(1, request.MaxCandidates))
                        .Select(steps => new CandidatePlan(steps, PlannerName))
                        .ToList();
                    return new PlanningResponse(candidates, null, 0, clock.Elapsed.TotalMilliseconds);
                }

                errors = rejected;
                LogRejected(logger, attempt, string.Join(" | ", rejected.Take(5)));
                messages.AddRange(response.Messages);
                messages.Add(new ChatMessage(ChatRole.User, LlmPlanPrompt.Retry(rejected)));
            }
        }
        catch (Exception ex) when (ex is LlmException or HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogModelFailed(logger, ex);
            if (!request.AllowFallback)
            {
                return NoPlan($"the model failed ({ex.Message}) and fallback to the symbolic planner is off", clock.Elapsed.TotalMilliseconds);
            }

            var fallback = await Symbolic(request, cancellationToken).ConfigureAwait(false);
            return fallback with { FailureReason = fallback.FailureReason is null ? null : $"the model failed ({ex.Message}); symbolic planner: {fallback.FailureReason}" };
        }

        LogGaveUp(logger, options.MaxAttempts);
        var rejectedReason = $"the model's plans were rejected {options.MaxAttempts} times ({string.Join("; ", errors.Take(3))})";
        if (!request.AllowFallback)
        {
            return NoPlan($"{rejectedReason} and fallback to the symbolic planner is off", clock.Elapsed.TotalMilliseconds);
        }

        var symbolicAnswer = await Symbolic(request, cancellationToken).ConfigureAwait(false);
        return symbolicAnswer.FailureReason is null
            ? symbolicAnswer
            : symbolicAnswer with { FailureReason = $"{rejectedReason}; symbolic planner: {symbolicAnswer.FailureReason}" };
    }

    /// <summary>The settings that configure a model, for messages that ask for one.</summary>
    public const string NoModelHint = "set GEMINI_API_KEY, or Maximus__Llm__Provider=gemini|openai-compatible with its key and model";

    private static PlanningResponse NoPlan(string reason, double elapsedMs) => new([], reason, 0, elapsedMs);

    /// <summary>
    /// Adaptive thinking's view of a planning task: the number of actions to choose from, a plan depth estimated as two
    /// steps per goal literal not yet true, and as past failure rate the share of rejected candidates so far (feedback).
    /// </summary>
    internal static TaskProfile Profile(PlanningRequest request)
    {
        var facts = new HashSet<string>((request.State.Facts ?? []).Select(f => f.ToString()), StringComparer.Ordinal);
        var open = request.Goal.Count(g => g.Negated ? facts.Contains((g with { Negated = false }).ToString()) : !facts.Contains(g.ToString()));
        var feedback = request.Feedback?.Count ?? 0;
        return new TaskProfile(PlanDepth: 2 * open, ToolCount: request.Actions.Count, PastFailureRate: Math.Min(1.0, feedback * 0.25));
    }

    private Task<PlanningResponse> Symbolic(PlanningRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => symbolic.Plan(request, cancellationToken), cancellationToken);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No model is configured: the symbolic planner answers")]
    private static partial void LogNoModel(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model proposed {Count} valid plan(s) on attempt {Attempt} ({Rejected} error(s) in other plans)")]
    private static partial void LogPlanned(ILogger logger, int count, int attempt, int rejected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt {Attempt}: the model's plans were rejected: {Errors}")]
    private static partial void LogRejected(ILogger logger, int attempt, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model's plans were rejected {Attempts} times; the symbolic planner answers")]
    private static partial void LogGaveUp(ILogger logger, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model failed to plan; the symbolic planner answers")]
    private static partial void LogModelFailed(ILogger logger, Exception exception);
}
