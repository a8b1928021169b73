using System.Globalization;
using System.Runtime.CompilerServices;
using Maximus.Llm.Accounting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Llm.Pipeline;

/// <summary>
/// Token accounting and the monthly budget. Before a request: when the month's spend has reached the budget, the
/// request either runs in the cheaper fallback mode (and that mode's model, unless the caller chose one) or is refused
/// with <see cref="LlmBudgetExceededException"/>, as configured. After it: the cost by the price table is added to the
/// persisted ledger; crossing the alert threshold or the budget logs a warning once a month. Cached answers cost nothing.
/// </summary>
public sealed partial class BudgetChatClient(
    IChatClient inner, LlmOptions options, LlmSpendLedger ledger, LlmPriceTable prices, Func<ThinkingMode, string?> modelFor, ILogger<BudgetChatClient> logger)
    : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (admitted, fallback) = await AdmitAsync(options, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(messages, admitted, cancellationToken).ConfigureAwait(false);
        var cached = response.TryGet<bool>(LlmChatOptions.CachedKey, out var c) && c;
        var cost = cached ? 0m : await RecordAsync(response.ModelId ?? admitted?.ModelId, response.Usage, cancellationToken).ConfigureAwait(false);
        var properties = response.AdditionalProperties ??= [];
        properties[LlmChatOptions.CostKey] = cost;
        if (fallback)
        {
            properties[LlmChatOptions.BudgetFallbackKey] = true;
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (admitted, fallback) = await AdmitAsync(options, cancellationToken).ConfigureAwait(false);
        UsageDetails? usage = null;
        string? model = null;
        var cached = false;
        var completed = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, admitted, cancellationToken).ConfigureAwait(false))
            {
                model = update.ModelId ?? model;
                cached |= update.AdditionalProperties?.TryGetValue(LlmChatOptions.CachedKey, out var flag) == true && flag is true;
                foreach (var content in update.Contents.OfType<UsageContent>())
                {
                    (usage ??= new UsageDetails()).Add(content.Details);
                }

                yield return update;
            }

            completed = true;
        }
        finally
        {
            if (!completed && !cached && usage is not null)
            {
                // The caller stopped early: what was used is still paid for.
                await RecordAsync(model ?? admitted?.ModelId, usage, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var cost = cached ? 0m : await RecordAsync(model ?? admitted?.ModelId, usage, cancellationToken).ConfigureAwait(false);
        var properties = new AdditionalPropertiesDictionary { [LlmChatOptions.CostKey] = cost };
        if (fallback)
        {
            properties[LlmChatOptions.BudgetFallbackKey] = true;
        }

        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, AdditionalProperties = properties };
    }

    private async Task<(ChatOptions? Options, bool Fallback)> AdmitAsync(ChatOptions? requested, CancellationToken cancellationToken)
    {
        var budget = options.Budget;
        if (budget.MonthlyUsd <= 0)
        {
            return (requested, false);
        }

        LlmSpendRecord spend;
        try
        {
            spend = await ledger.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The state store is down: answer rather than fail (the spend is recorded when it is back).
            LogLedgerUnavailable(logger, ex);
            return (requested, false);
        }

        if (spend.SpentUsd < budget.MonthlyUsd)
        {
            return (requested, false);
        }

        if (budget.OverBudget == OverBudgetAction.Refuse)
        {
            LogRefused(logger, spend.Month, spend.SpentUsd, budget.MonthlyUsd);
            throw new LlmBudgetExceededException(spend.Month, spend.SpentUsd, budget.MonthlyUsd);
        }

        var current = requested.GetThinkingMode() is { } m && m != ThinkingMode.Adaptive ? m : ThinkingMode.Normal;
        var mode = ThinkingModes.Cheaper(current, budget.FallbackMode);
        var admitted = requested?.Clone() ?? new ChatOptions();
        var properties = admitted.AdditionalProperties = admitted.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(admitted.AdditionalProperties);
        properties[LlmChatOptions.ModeKey] = mode;
        var routed = properties.TryGetValue(LlmChatOptions.ModelRoutedKey, out var r) && r is true;
        if ((routed || string.IsNullOrWhiteSpace(admitted.ModelId)) && modelFor(mode) is { } model)
        {
            admitted.ModelId = model;
        }

        LogFallback(logger, spend.Month, spend.SpentUsd, budget.MonthlyUsd, mode.Name());
        return (admitted, true);
    }

    private async Task<decimal> RecordAsync(string? model, UsageDetails? usage, CancellationToken cancellationToken)
    {
        if (usage is null)
        {
            return 0m;
        }

        var cost = prices.Cost(model, usage);
        try
        {
            var change = await ledger.AddAsync(cost, usage, options.Budget.MonthlyUsd, options.Budget.AlertThreshold, cancellationToken).ConfigureAwait(false);
            if (change.LimitCrossed)
            {
                LogLimitReached(logger, change.Record.Month, change.Record.SpentUsd, options.Budget.MonthlyUsd, options.Budget.OverBudget == OverBudgetAction.Refuse ? "refused" : $"answered in {options.Budget.FallbackMode.Name()} mode");
            }
            else if (change.AlertCrossed)
            {
                LogAlert(logger, change.Record.Month, change.Record.SpentUsd, options.Budget.MonthlyUsd, options.Budget.AlertThreshold.ToString("P0", CultureInfo.InvariantCulture));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogLedgerFailed(logger, ex, cost);
        }

        return cost;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM spend of {Month} reached the alert threshold ({Threshold} of the budget): ${Spent} of ${Budget}")]
    private static partial void LogAlert(ILogger logger, string month, decimal spent, decimal budget, string threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM budget of {Month} is spent (${Spent} of ${Budget}): further requests are {Action}")]
    private static partial void LogLimitReached(ILogger logger, string month, decimal spent, decimal budget, string action);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Over the LLM budget of {Month} (${Spent} of ${Budget}): answering in {Mode} mode")]
    private static partial void LogFallback(ILogger logger, string month, decimal spent, decimal budget, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Over the LLM budget of {Month} (${Spent} of ${Budget}): request refused")]
    private static partial void LogRefused(ILogger logger, string month, decimal spent, decimal budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the LLM spend; the request is admitted without a budget check")]
    private static partial void LogLedgerUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record LLM spend of ${Cost}")]
    private static partial void LogLedgerFailed(ILogger logger, Exception exception, decimal cost);
}
