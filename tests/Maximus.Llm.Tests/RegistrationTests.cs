using System.Net;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Maximus.Llm.OpenAICompatible;
using Maximus.Llm.Pipeline;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Maximus.Llm.Tests;

public sealed class RegistrationTests
{
    private static ServiceProvider Services(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLlm(configuration).BuildServiceProvider();
    }

    [Fact]
    public void Without_a_key_no_chat_client_is_registered_and_the_status_says_why()
    {
        using var services = Services();

        Assert.Null(services.GetService<IChatClient>());
        var status = services.GetRequiredService<LlmStatus>();
        Assert.False(status.Configured);
        Assert.Contains("GEMINI_API_KEY", status.Reason, StringComparison.Ordinal);
        Assert.Contains("GEMINI_API_KEY=", LlmStatus.HowToConfigure, StringComparison.Ordinal);
        Assert.Contains("Maximus__Llm__OpenAI__Endpoint", LlmStatus.HowToConfigure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gemini_key_registers_the_whole_pipeline_around_the_gemini_client()
    {
        using var services = Services(("GEMINI_API_KEY", GeminiFakes.TestKey));

        var chat = services.GetRequiredService<IChatClient>();

        Assert.IsType<ThinkingModeChatClient>(chat);
        Assert.NotNull(chat.GetService<BudgetChatClient>());
        Assert.NotNull(chat.GetService<CachingChatClient>());
        Assert.NotNull(chat.GetService<ResilientChatClient>());
        Assert.NotNull(chat.GetService<GeminiChatClient>());
        Assert.Equal("gemini-3-pro-preview", chat.GetService<ChatClientMetadata>()?.DefaultModelId);
        Assert.Equal(GeminiFakes.TestKey, services.GetRequiredService<IOptions<GeminiOptions>>().Value.ApiKey);
    }

    [Fact]
    public void Provider_none_registers_no_client_even_with_a_key()
    {
        using var services = Services(("GEMINI_API_KEY", GeminiFakes.TestKey), ("Maximus:Llm:Provider", "none"));

        Assert.Null(services.GetService<IChatClient>());
    }

    [Fact]
    public void A_vertex_project_or_an_explicit_gemini_provider_counts_as_a_configured_gemini()
    {
        using var vertex = Services(("Maximus:Llm:Gemini:Vertex:Project", "p1"), ("Maximus:Llm:Gemini:Vertex:AccessToken", "t"));
        using var secret = Services(("Maximus:Llm:Provider", "gemini"));

        Assert.NotNull(vertex.GetService<IChatClient>()?.GetService<GeminiChatClient>());
        Assert.NotNull(secret.GetService<IChatClient>()?.GetService<GeminiChatClient>());
        Assert.Contains("secret store (secret 'gemini-api-key')", secret.GetRequiredService<LlmStatus>().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_openai_compatible_endpoint_is_chosen_by_configuration()
    {
        using var services = Services(
            ("GEMINI_API_KEY", GeminiFakes.TestKey),
            ("Maximus:Llm:Provider", "openai-compatible"),
            ("Maximus:Llm:OpenAI:Endpoint", "http://localhost:11434/v1"),
            ("Maximus:Llm:OpenAI:Model", "llama3.2"));

        var chat = services.GetRequiredService<IChatClient>();

        Assert.Null(chat.GetService<GeminiChatClient>());
        Assert.Equal("llama3.2", chat.GetService<ChatClientMetadata>()?.DefaultModelId);
    }

    [Fact]
    public async Task The_openai_compatible_client_talks_chat_completions_without_the_layers_own_options()
    {
        using var handler = new FakeHttpHandler().Answer(HttpStatusCode.OK, """
            {"id":"c1","object":"chat.completion","created":1,"model":"llama3.2",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Paris"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}
            """);
        var openAi = new OpenAICompatibleOptions { Endpoint = "http://localhost:11434/v1", Model = "llama3.2", FastModel = "llama3.2:1b" };
        using var chat = LlmPipeline.Create(
            OpenAICompatibleChatClient.Create(openAi, new HttpClient(handler)),
            new LlmOptions(),
            openAi.ModelFor,
            new Accounting.LlmSpendLedger(null, TimeProvider.System),
            new Accounting.LlmPriceTable(new Dictionary<string, Accounting.LlmPrice>()),
            null,
            TimeProvider.System);
        var deep = new ChatOptions().WithThinkingMode(ThinkingMode.Deep).WithTaskProfile(new TaskProfile(PlanDepth: 3));

        var response = await chat.GetResponseAsync("Capital of France?", deep, TestContext.Current.CancellationToken);
        await chat.GetResponseAsync("Capital of Spain?", new ChatOptions().WithThinkingMode(ThinkingMode.Fast), TestContext.Current.CancellationToken);

        Assert.Equal("Paris", response.Text);
        Assert.Equal(6, response.Usage?.TotalTokenCount);
        Assert.Equal(2, handler.Sent.Count);
        Assert.All(handler.Sent, s => Assert.Equal("http://localhost:11434/v1/chat/completions", s.Uri.ToString()));
        var body = JsonNode.Parse(handler.Sent[0].Body)!.AsObject();
        Assert.Equal("llama3.2", body["model"]!.GetValue<string>());
        Assert.DoesNotContain(body, p => p.Key.Contains("maximus", StringComparison.Ordinal) || p.Key == "reasoning_effort");
        Assert.Equal("llama3.2:1b", JsonNode.Parse(handler.Sent[1].Body)!["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Maximus:Llm:Budget:AlertThreshold", "1.5")]
    [InlineData("Maximus:Llm:Provider", "anthropic")]
    [InlineData("Maximus:Llm:Modes:Fast:LatencyBudget", "00:00:00")]
    [InlineData("Maximus:Llm:Resilience:BreakerMinimumThroughput", "1")]
    [InlineData("Maximus:Llm:Budget:FallbackMode", "adaptive")]
    public async Task Invalid_settings_stop_the_start_naming_the_key(string key, string value)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value, ["GEMINI_API_KEY"] = GeminiFakes.TestKey });
        builder.AddLlm();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(error.Failures, f => f.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Valid_settings_start()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GEMINI_API_KEY"] = GeminiFakes.TestKey,
            ["Maximus:Llm:Budget:MonthlyUsd"] = "50",
            ["Maximus:Llm:Budget:OverBudget"] = "refuse",
            ["Maximus:Llm:Prices:gemini-3-pro:InputPerMillion"] = "2.5",
        });
        builder.AddLlm();
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);

        var options = host.Services.GetRequiredService<IOptions<LlmOptions>>().Value;
        Assert.Equal(50m, options.Budget.MonthlyUsd);
        Assert.Equal(OverBudgetAction.Refuse, options.Budget.OverBudget);
        Assert.Equal(2.5m, options.Prices["gemini-3-pro"].InputPerMillion);
        Assert.Equal(12m, options.Prices["gemini-3-pro"].OutputPerMillion);
        Assert.True(options.Prices.ContainsKey("gemini-2.5-flash"));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
