using System.Text.Json.Nodes;
using Maximus.Llm.Accounting;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Maximus.Llm.Tests;

public sealed class BudgetTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static GeminiOptions TwoModels() => new() { ApiKey = GeminiFakes.TestKey, Model = "gemini-3-pro-preview", FastModel = "gemini-2.5-flash-lite" };

    [Fact]
    public async Task Over_budget_requests_fall_back_to_the_cheaper_mode_and_its_model()
    {
        var time = new FakeTimeProvider();
        var ledger = new LlmSpendLedger(new InMemoryStateStore(), time);
        await ledger.AddAsync(200.01m, null, 200m, 0.8, Ct);
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("cheap answer", "gemini-2.5-flash-lite"));
        using var chat = GeminiFakes.Pipeline(handler, gemini: TwoModels(), time: time, ledger: ledger);

        var response = await chat.GetResponseAsync("Prove the theorem.", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct);

        var sent = Assert.Single(handler.Sent);
        Assert.Contains("/models/gemini-2.5-flash-lite:generateContent", sent.Uri.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, JsonNode.Parse(sent.Body)!["generationConfig"]!["thinkingConfig"]!["thinkingBudget"]!.GetValue<int>());
        Assert.True(response.TryGet<bool>(LlmChatOptions.BudgetFallbackKey, out var fallback) && fallback);
        Assert.Equal("cheap answer", response.Text);
    }

    [Fact]
    public async Task Under_budget_requests_keep_their_mode()
    {
        var time = new FakeTimeProvider();
        var ledger = new LlmSpendLedger(new InMemoryStateStore(), time);
        await ledger.AddAsync(199m, null, 200m, 0.8, Ct);
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("deep answer", "gemini-3-pro-preview"));
        using var chat = GeminiFakes.Pipeline(handler, gemini: TwoModels(), time: time, ledger: ledger);

        var response = await chat.GetResponseAsync("Prove the theorem.", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct);

        Assert.Contains("/models/gemini-3-pro-preview:", Assert.Single(handler.Sent).Uri.ToString(), StringComparison.Ordinal);
        Assert.False(response.TryGet<bool>(LlmChatOptions.BudgetFallbackKey, out _));
    }

    [Fact]
    public async Task Over_budget_requests_are_refused_when_so_configured()
    {
        var time = new FakeTimeProvider();
        var ledger = new LlmSpendLedger(new InMemoryStateStore(), time);
        await ledger.AddAsync(250m, null, 200m, 0.8, Ct);
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("never sent"));
        var options = new LlmOptions { Budget = { OverBudget = OverBudgetAction.Refuse } };
        using var chat = GeminiFakes.Pipeline(handler, options, TwoModels(), time, ledger);

        var refused = await Assert.ThrowsAsync<LlmBudgetExceededException>(() => chat.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.Empty(handler.Sent);
        Assert.Equal(250m, refused.SpentUsd);
        Assert.Equal(200m, refused.BudgetUsd);
        Assert.Equal("2000-01", refused.Month);
    }

    [Fact]
    public async Task Spend_is_priced_by_the_table_and_survives_a_restart()
    {
        var time = new FakeTimeProvider();
        var store = new InMemoryStateStore();
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("answer", "gemini-2.5-flash", prompt: 1000, candidates: 500, thoughts: 500));
        using var chat = GeminiFakes.Pipeline(handler, time: time, ledger: new LlmSpendLedger(store, time));

        var response = await chat.GetResponseAsync("hi", new ChatOptions().WithThinkingMode(ThinkingMode.Normal), Ct);

        // 1,000 input tokens at $0.30/M + 1,000 output tokens (500 answer + 500 thinking) at $2.50/M.
        Assert.True(response.TryGet<decimal>(LlmChatOptions.CostKey, out var cost));
        Assert.Equal(0.0028m, cost);
        var afterRestart = await new LlmSpendLedger(store, time).GetAsync(Ct);
        Assert.Equal(0.0028m, afterRestart.SpentUsd);
        Assert.Equal(1000, afterRestart.InputTokens);
        Assert.Equal(1000, afterRestart.OutputTokens);
        Assert.Equal(500, afterRestart.ReasoningTokens);
        Assert.Equal(1, afterRestart.Requests);
        Assert.Contains("llm:spend:2000-01", store.Keys);
    }

    [Fact]
    public async Task Crossing_the_alert_threshold_and_the_budget_each_log_one_warning()
    {
        var time = new FakeTimeProvider();
        using var loggers = new ListLoggerFactory();
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("answer", "gemini-2.5-flash", prompt: 1000, candidates: 500, thoughts: 500));
        var options = new LlmOptions { Budget = { MonthlyUsd = 0.005m, AlertThreshold = 0.5 }, Cache = { Enabled = false } };
        using var chat = GeminiFakes.Pipeline(handler, options, time: time, loggers: loggers);

        for (var i = 0; i < 3; i++)
        {
            await chat.GetResponseAsync($"question {i}", new ChatOptions().WithThinkingMode(ThinkingMode.Normal), Ct);
        }

        var warnings = loggers.Lines.Where(l => l.Level == LogLevel.Warning).Select(l => l.Message).ToList();
        Assert.Single(warnings, w => w.Contains("reached the alert threshold (50 % of the budget)", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains("is spent", StringComparison.Ordinal));
        Assert.Equal(3, handler.Sent.Count);
    }

    [Fact]
    public async Task A_new_month_starts_with_a_fresh_budget()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 31, 23, 0, 0, TimeSpan.Zero));
        var ledger = new LlmSpendLedger(new InMemoryStateStore(), time);
        await ledger.AddAsync(300m, null, 200m, 0.8, Ct);
        Assert.Equal(300m, (await ledger.GetAsync(Ct)).SpentUsd);

        time.Advance(TimeSpan.FromHours(2));

        var february = await ledger.GetAsync(Ct);
        Assert.Equal("2026-02", february.Month);
        Assert.Equal(0m, february.SpentUsd);
    }

    [Fact]
    public void Unknown_models_cost_nothing_and_prices_match_the_longest_prefix()
    {
        var prices = new LlmPriceTable(LlmPriceTable.Defaults());
        var usage = new UsageDetails { InputTokenCount = 1_000_000, OutputTokenCount = 1_000_000 };

        Assert.Equal(0.50m, prices.Cost("gemini-2.5-flash-lite", usage));
        Assert.Equal(2.80m, prices.Cost("models/gemini-2.5-flash", usage));
        Assert.Equal(14.00m, prices.Cost("gemini-3-pro-preview", usage));
        Assert.Equal(0m, prices.Cost("llama3.2", usage));
    }
}
