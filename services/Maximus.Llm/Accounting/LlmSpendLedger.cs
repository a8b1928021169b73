using System.Collections.Concurrent;
using System.Globalization;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Accounting;

/// <summary>The spend and tokens of one calendar month (UTC), as stored under <c>llm:spend:yyyy-MM</c>.</summary>
public sealed record LlmSpendRecord(
    string Month,
    decimal SpentUsd,
    long InputTokens,
    long OutputTokens,
    long ReasoningTokens,
    long Requests,
    bool AlertRaised,
    bool LimitRaised);

/// <summary>What <see cref="LlmSpendLedger.AddAsync"/> changed: the new totals and which thresholds were crossed now.</summary>
public sealed record LlmSpendChange(LlmSpendRecord Record, bool AlertCrossed, bool LimitCrossed);

/// <summary>
/// The month's spend, persisted through the <see cref="IStateStore"/> port (SQLite on the embedded runtime, the Dapr
/// state store otherwise) so that it survives restarts and is shared by every process of the system; updates are
/// optimistic (ETag) and retried on conflict. Without a state store (e.g. a bare test) it is kept in memory.
/// </summary>
public sealed class LlmSpendLedger(IStateStore? store, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LlmSpendRecord> _memory = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public string CurrentMonth => time.GetUtcNow().ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string Key(string month) => $"llm:spend:{month}";

    public async Task<LlmSpendRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        var month = CurrentMonth;
        if (store is null)
        {
            return _memory.GetValueOrDefault(month) ?? Empty(month);
        }

        return await store.GetAsync<LlmSpendRecord>(Key(month), cancellationToken).ConfigureAwait(false) ?? Empty(month);
    }

    /// <summary>Adds one answer's cost and tokens; reports whether this addition crossed the alert or the limit.</summary>
    public async Task<LlmSpendChange> AddAsync(decimal costUsd, UsageDetails? usage, decimal budgetUsd, double alertThreshold, CancellationToken cancellationToken = default)
    {
        var month = CurrentMonth;
        var alertCrossed = false;
        var limitCrossed = false;
        LlmSpendRecord Update(LlmSpendRecord? current)
        {
            var before = current ?? Empty(month);
            var spent = before.SpentUsd + costUsd;
            var alert = budgetUsd > 0 && spent >= budgetUsd * (decimal)alertThreshold;
            var limit = budgetUsd > 0 && spent >= budgetUsd;
            alertCrossed = alert && !before.AlertRaised;
            limitCrossed = limit && !before.LimitRaised;
            return before with
            {
                SpentUsd = spent,
                InputTokens = before.InputTokens + (usage?.InputTokenCount ?? 0),
                OutputTokens = before.OutputTokens + (usage?.OutputTokenCount ?? 0),
                ReasoningTokens = before.ReasoningTokens + (usage?.ReasoningTokenCount ?? 0),
                Requests = before.Requests + 1,
                AlertRaised = before.AlertRaised || alert,
                LimitRaised = before.LimitRaised || limit,
            };
        }

        LlmSpendRecord record;
        if (store is null)
        {
            lock (_gate)
            {
                record = Update(_memory.GetValueOrDefault(month));
                _memory[month] = record;
            }
        }
        else
        {
            record = await store.UpdateAsync<LlmSpendRecord>(Key(month), Update, cancellationToken).ConfigureAwait(false);
        }

        return new LlmSpendChange(record, alertCrossed, limitCrossed);
    }

    private static LlmSpendRecord Empty(string month) => new(month, 0m, 0, 0, 0, 0, false, false);
}
