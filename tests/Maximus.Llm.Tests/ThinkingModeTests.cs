using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Llm.Tests;

public sealed class ThinkingModeTests
{
    [Theory]
    [InlineData("gemini-3-pro-preview", ThinkingMode.Fast, "low")]
    [InlineData("gemini-3-pro-preview", ThinkingMode.Normal, "high")]
    [InlineData("gemini-3-pro-preview", ThinkingMode.Deep, "high")]
    [InlineData("models/gemini-3-pro-preview", ThinkingMode.Fast, "low")]
    [InlineData("gemini-3-flash-preview", ThinkingMode.Fast, "minimal")]
    [InlineData("gemini-3-flash-preview", ThinkingMode.Normal, "medium")]
    [InlineData("gemini-3-flash-preview", ThinkingMode.Deep, "high")]
    public void Gemini_3_models_map_modes_to_thinking_levels(string model, ThinkingMode mode, string level)
    {
        var setting = GeminiThinking.For(model, mode);

        Assert.NotNull(setting);
        Assert.Equal(level, setting.Level);
        Assert.Null(setting.Budget);
        Assert.Contains(level, GeminiThinking.ProfileOf(model)!.Levels!);
    }

    [Theory]
    [InlineData("gemini-2.5-pro", ThinkingMode.Fast, 128)]
    [InlineData("gemini-2.5-pro", ThinkingMode.Normal, 1024)]
    [InlineData("gemini-2.5-pro", ThinkingMode.Deep, 4096)]
    [InlineData("gemini-2.5-flash", ThinkingMode.Fast, 0)]
    [InlineData("gemini-2.5-flash", ThinkingMode.Normal, 1024)]
    [InlineData("gemini-2.5-flash", ThinkingMode.Deep, 8192)]
    [InlineData("gemini-2.5-flash-lite", ThinkingMode.Fast, 0)]
    [InlineData("gemini-2.5-flash-lite", ThinkingMode.Normal, 512)]
    [InlineData("gemini-2.5-flash-lite", ThinkingMode.Deep, 4096)]
    public void Gemini_2_5_models_map_modes_to_thinking_budgets_within_their_range(string model, ThinkingMode mode, int budget)
    {
        var setting = GeminiThinking.For(model, mode);
        var profile = GeminiThinking.ProfileOf(model)!;

        Assert.NotNull(setting);
        Assert.Null(setting.Level);
        Assert.Equal(budget, setting.Budget);
        Assert.True((budget == 0 && profile.CanDisable) || (budget >= profile.MinBudget && budget <= profile.MaxBudget), $"{budget} is outside {profile.Range}");
    }

    [Fact]
    public void Deeper_modes_never_think_less_on_any_model()
    {
        foreach (var profile in GeminiThinking.Profiles.Where(p => p.Levels is null))
        {
            Assert.True(profile.Fast.Budget <= profile.Normal.Budget && profile.Normal.Budget <= profile.Deep.Budget, profile.Prefix);
        }
    }

    [Theory]
    [InlineData("gemini-2.0-flash")]
    [InlineData("gemini-1.5-flash")]
    public void Models_that_do_not_think_get_no_thinking_settings(string model)
    {
        Assert.Null(GeminiThinking.For(model, ThinkingMode.Deep));
    }

    [Fact]
    public void Configured_overrides_replace_the_table_and_budgets_stay_in_range()
    {
        var overrides = new Dictionary<string, GeminiThinkingOverride>(StringComparer.OrdinalIgnoreCase)
        {
            ["gemini-2.5-pro"] = new() { Normal = "50000", Fast = "0" },
            ["gemini-3-pro"] = new() { Normal = "low" },
        };

        Assert.Equal(32768, GeminiThinking.For("gemini-2.5-pro", ThinkingMode.Normal, overrides)!.Budget);
        Assert.Equal(128, GeminiThinking.For("gemini-2.5-pro", ThinkingMode.Fast, overrides)!.Budget);
        Assert.Equal(4096, GeminiThinking.For("gemini-2.5-pro", ThinkingMode.Deep, overrides)!.Budget);
        Assert.Equal("low", GeminiThinking.For("gemini-3-pro-preview", ThinkingMode.Normal, overrides)!.Level);
    }

    [Theory]
    [InlineData("gemini-3-pro-preview", ThinkingMode.Deep, "thinkingLevel", "high")]
    [InlineData("gemini-2.5-flash", ThinkingMode.Fast, "thinkingBudget", "0")]
    [InlineData("gemini-2.5-pro", ThinkingMode.Normal, "thinkingBudget", "1024")]
    public async Task The_request_carries_the_modes_thinking_setting(string model, ThinkingMode mode, string field, string value)
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("ok", model));
        using var client = GeminiFakes.Client(handler, GeminiFakes.Options(model));

        await client.GetResponseAsync("hello", new ChatOptions().WithThinkingMode(mode), TestContext.Current.CancellationToken);

        var thinking = JsonNode.Parse(Assert.Single(handler.Sent).Body)!["generationConfig"]!["thinkingConfig"]!;
        Assert.Equal(value, thinking[field]!.ToJsonString().Trim('"'));
        Assert.Single(thinking.AsObject());
    }

    [Fact]
    public void Every_mode_has_its_latency_budget()
    {
        var options = new LlmOptions();

        Assert.Equal(TimeSpan.FromSeconds(2), options.LatencyBudget(ThinkingMode.Fast));
        Assert.Equal(TimeSpan.FromSeconds(8), options.LatencyBudget(ThinkingMode.Normal));
        Assert.Equal(TimeSpan.FromSeconds(30), options.LatencyBudget(ThinkingMode.Deep));
    }

    [Fact]
    public void Adaptive_thinking_picks_fast_for_an_easy_task()
    {
        var choice = new AdaptiveModeSelector().Choose(new TaskProfile(PromptTokens: 300, PlanDepth: 2, ToolCount: 1, PastFailureRate: 0));

        Assert.Equal(ThinkingMode.Fast, choice.Mode);
        Assert.Equal(0, choice.Score);
        Assert.Contains("plan depth 2 +0", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Adaptive_thinking_picks_deep_for_a_hard_task()
    {
        var choice = new AdaptiveModeSelector().Choose(new TaskProfile(PromptTokens: 20_000, PlanDepth: 14, ToolCount: 12, PastFailureRate: 0.6));

        Assert.Equal(ThinkingMode.Deep, choice.Mode);
        Assert.Equal(8, choice.Score);
        Assert.Contains("past failure rate 0.60 +2", choice.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(300, 6, 5, 0.0, ThinkingMode.Normal)]
    [InlineData(300, 2, 1, 0.5, ThinkingMode.Normal)]
    [InlineData(5_000, 12, 2, 0.3, ThinkingMode.Deep)]
    [InlineData(30_000, null, null, null, ThinkingMode.Normal)]
    public void Adaptive_thinking_weighs_size_depth_tools_and_failures(int tokens, int? depth, int? tools, double? failures, ThinkingMode expected)
    {
        Assert.Equal(expected, new AdaptiveModeSelector().Choose(new TaskProfile(tokens, depth, tools, failures)).Mode);
    }

    [Fact]
    public async Task Adaptive_choice_is_logged_and_routes_an_easy_task_to_the_fast_model()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("4", "gemini-2.5-flash-lite"));
        using var loggers = new ListLoggerFactory();
        var gemini = new GeminiOptions { ApiKey = GeminiFakes.TestKey, Model = "gemini-3-pro-preview", FastModel = "gemini-2.5-flash-lite" };
        using var chat = GeminiFakes.Pipeline(handler, gemini: gemini, loggers: loggers);

        var response = await chat.GetResponseAsync("What is 2 + 2?", new ChatOptions().WithThinkingMode(ThinkingMode.Adaptive), TestContext.Current.CancellationToken);

        var sent = Assert.Single(handler.Sent);
        Assert.Contains("/models/gemini-2.5-flash-lite:generateContent", sent.Uri.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, JsonNode.Parse(sent.Body)!["generationConfig"]!["thinkingConfig"]!["thinkingBudget"]!.GetValue<int>());
        Assert.True(response.TryGet<string>(LlmChatOptions.ModeKey, out var mode));
        Assert.Equal("fast", mode);
        Assert.Contains(loggers.Lines, l => l.Level == LogLevel.Information && l.Message.StartsWith("Adaptive thinking chose fast: score 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Adaptive_choice_sends_a_hard_task_to_the_main_model_thinking_deep()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("plan", "gemini-3-pro-preview"));
        using var loggers = new ListLoggerFactory();
        var gemini = new GeminiOptions { ApiKey = GeminiFakes.TestKey, Model = "gemini-3-pro-preview", FastModel = "gemini-2.5-flash-lite" };
        using var chat = GeminiFakes.Pipeline(handler, gemini: gemini, loggers: loggers);
        var options = new ChatOptions().WithTaskProfile(new TaskProfile(PlanDepth: 18, ToolCount: 15, PastFailureRate: 0.7));

        var response = await chat.GetResponseAsync("Plan the logistics mission.", options, TestContext.Current.CancellationToken);

        var sent = Assert.Single(handler.Sent);
        Assert.Contains("/models/gemini-3-pro-preview:generateContent", sent.Uri.ToString(), StringComparison.Ordinal);
        Assert.Equal("high", JsonNode.Parse(sent.Body)!["generationConfig"]!["thinkingConfig"]!["thinkingLevel"]!.GetValue<string>());
        Assert.True(response.TryGet<string>(LlmChatOptions.ModeReasonKey, out var reason));
        Assert.StartsWith("adaptive: score 6", reason, StringComparison.Ordinal);
        Assert.Contains(loggers.Lines, l => l.Message.StartsWith("Adaptive thinking chose deep", StringComparison.Ordinal));
    }
}
