using System.Text.Json;
using Maximus.Contracts.Planning;
using Maximus.Contracts.Plugins;
using Maximus.Llm.Gemini;
using Maximus.Planning.Llm;
using Maximus.Planning.Symbolic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maximus.Llm.Tests;

/// <summary>
/// Calls the real Gemini API when <c>GEMINI_API_KEY</c> is set (model: <c>GEMINI_LIVE_MODEL</c>, default
/// gemini-2.5-flash), and skips saying so otherwise. Budgets are generous: these measure correctness, not latency.
/// </summary>
public sealed class LiveGeminiTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static ServiceProvider LiveServices(string? model = null)
    {
        var key = Environment.GetEnvironmentVariable("GEMINI_API_KEY");
        if (string.IsNullOrWhiteSpace(key))
        {
            Assert.Skip("GEMINI_API_KEY is not set: the live Gemini tests call the real API and need a key.");
        }

        model ??= Environment.GetEnvironmentVariable("GEMINI_LIVE_MODEL") is { Length: > 0 } m ? m : "gemini-2.5-flash";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GEMINI_API_KEY"] = key,
            ["Maximus:Llm:Gemini:Model"] = model,
            ["Maximus:Llm:Gemini:FastModel"] = model,
            ["Maximus:Llm:Modes:Fast:LatencyBudget"] = "00:01:00",
            ["Maximus:Llm:Modes:Normal:LatencyBudget"] = "00:01:30",
            ["Maximus:Llm:Modes:Deep:LatencyBudget"] = "00:02:00",
            ["Maximus:Llm:Cache:Enabled"] = "false",
        }).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLlm(configuration).BuildServiceProvider();
    }

    [Fact]
    public async Task Live_gemini_answers_a_question_and_reports_usage_and_cost()
    {
        using var services = LiveServices();
        var chat = services.GetRequiredService<IChatClient>();

        var response = await chat.GetResponseAsync("What is the capital of France? Answer with one word.", new ChatOptions().WithThinkingMode(ThinkingMode.Fast), Ct);

        Assert.Contains("Paris", response.Text, StringComparison.OrdinalIgnoreCase);
        Assert.True(response.Usage?.InputTokenCount > 0);
        Assert.True(response.TryGet<decimal>(LlmChatOptions.CostKey, out var cost) && cost > 0);
        Assert.True(response.TryGet<GeminiOutcome>(GeminiOutcome.Key, out var outcome));
        Assert.Equal("STOP", outcome.FinishReason);
    }

    [Fact]
    public async Task Live_gemini_streams_structured_output()
    {
        using var services = LiveServices();
        var chat = services.GetRequiredService<IChatClient>();
        var schema = JsonSerializer.SerializeToElement(new { type = "object", properties = new { city = new { type = "string" }, country = new { type = "string" } }, required = new[] { "city", "country" } });
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "City") }.WithThinkingMode(ThinkingMode.Normal);

        var response = await chat.GetStreamingResponseAsync("What is the largest city in Mexico?", options, Ct).ToChatResponseAsync(Ct);

        using var json = JsonDocument.Parse(response.Text);
        Assert.Equal("Mexico", json.RootElement.GetProperty("country").GetString());
        Assert.Contains("Mexico", json.RootElement.GetProperty("city").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_gemini_reports_an_unknown_model_as_not_found_with_its_message()
    {
        using var services = LiveServices();
        var chat = services.GetRequiredService<IChatClient>();

        var error = await Assert.ThrowsAsync<GeminiNotFoundException>(() =>
            chat.GetResponseAsync("hi", new ChatOptions { ModelId = "no-such-model-maximus" }, Ct));

        Assert.Contains("no-such-model-maximus", error.ServerMessage, StringComparison.Ordinal);
        Assert.Equal("NOT_FOUND", error.ServerStatus);
    }

    [Fact]
    public async Task Live_llm_planner_plans_over_a_manifest()
    {
        using var services = LiveServices();
        var planner = new LlmPlanner(services.GetRequiredService<IChatClient>(), new SymbolicPlanner(), new LlmPlannerOptions(), NullLogger<LlmPlanner>.Instance);
        PluginAction[] actions =
        [
            new("move", [new("from"), new("to")], Description: "Walk from one room to an adjacent room."),
            new("open", [new("door")], Description: "Open a door."),
        ];
        var state = new PluginState([new("kitchen"), new("hall"), new("garden"), new("back-door")], [new("at", ["kitchen"]), new("adjacent", ["kitchen", "hall"]), new("adjacent", ["hall", "garden"])]);
        var request = new PlanningRequest(actions, state, [new("at", ["garden"])], Planner: "llm");

        var response = await planner.PlanAsync(request, Ct);

        var plan = Assert.Single(response.Candidates);
        Assert.Equal(LlmPlanner.PlannerName, plan.Planner);
        Assert.Contains(plan.Steps, s => s.Action == "move" && s.ArgumentMap()["to"] == "garden");
    }
}
