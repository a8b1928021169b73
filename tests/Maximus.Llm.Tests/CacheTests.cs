using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Maximus.Llm.Tests;

public sealed class CacheTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_repeated_prompt_is_answered_from_the_cache_at_no_cost()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("Paris", prompt: 1000, candidates: 1000));
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());
        var options = new ChatOptions().WithThinkingMode(ThinkingMode.Normal);

        var first = await chat.GetResponseAsync("Capital of France?", options, Ct);
        var second = await chat.GetResponseAsync("Capital of France?", options, Ct);

        Assert.Single(handler.Sent);
        Assert.Equal("Paris", second.Text);
        Assert.True(second.TryGet<bool>(LlmChatOptions.CachedKey, out var cached) && cached);
        Assert.False(first.TryGet<bool>(LlmChatOptions.CachedKey, out _));
        Assert.True(first.TryGet<decimal>(LlmChatOptions.CostKey, out var firstCost) && firstCost > 0);
        Assert.True(second.TryGet<decimal>(LlmChatOptions.CostKey, out var secondCost));
        Assert.Equal(0m, secondCost);
    }

    [Fact]
    public async Task A_cached_answer_expires_after_its_ttl()
    {
        var time = new FakeTimeProvider();
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("Paris"));
        var options = new LlmOptions { Cache = { Ttl = TimeSpan.FromMinutes(10) } };
        using var chat = GeminiFakes.Pipeline(handler, options, time: time);

        await chat.GetResponseAsync("Capital of France?", cancellationToken: Ct);
        time.Advance(TimeSpan.FromMinutes(9));
        await chat.GetResponseAsync("Capital of France?", cancellationToken: Ct);
        Assert.Single(handler.Sent);

        time.Advance(TimeSpan.FromMinutes(2));
        await chat.GetResponseAsync("Capital of France?", cancellationToken: Ct);
        Assert.Equal(2, handler.Sent.Count);
    }

    [Fact]
    public async Task The_cache_key_holds_the_mode_and_the_prompt()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("answer"));
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());

        await chat.GetResponseAsync("Question A", new ChatOptions().WithThinkingMode(ThinkingMode.Fast), Ct);
        await chat.GetResponseAsync("Question A", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct);
        await chat.GetResponseAsync("Question B", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct);
        await chat.GetResponseAsync("Question B", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct);

        Assert.Equal(3, handler.Sent.Count);
        var fast = LlmResponseCacheKey("Question A", ThinkingMode.Fast, "gemini-2.5-flash");
        Assert.StartsWith("gemini-2.5-flash|fast|", fast, StringComparison.Ordinal);
        Assert.NotEqual(fast, LlmResponseCacheKey("Question A", ThinkingMode.Deep, "gemini-2.5-flash"));
    }

    [Fact]
    public async Task A_request_can_opt_out_of_the_cache()
    {
        using var handler = GeminiFakes.Answering(GeminiFakes.TextAnswer("fresh"));
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());
        var options = new ChatOptions { AdditionalProperties = new() { [LlmChatOptions.CacheKey] = false } };

        await chat.GetResponseAsync("roll a die", options, Ct);
        await chat.GetResponseAsync("roll a die", options, Ct);

        Assert.Equal(2, handler.Sent.Count);
    }

    [Fact]
    public async Task Blocked_and_truncated_answers_are_not_cached()
    {
        using var handler = GeminiFakes.Answering(
            """{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash"}""",
            """{"candidates":[{"content":{"role":"model"},"finishReason":"MAX_TOKENS"}],"modelVersion":"gemini-2.5-flash"}""");
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());

        var blocked = await chat.GetResponseAsync("something bad", cancellationToken: Ct);
        await chat.GetResponseAsync("something bad", cancellationToken: Ct);
        await chat.GetResponseAsync("long story", cancellationToken: Ct);
        var truncated = await chat.GetResponseAsync("long story", cancellationToken: Ct);

        Assert.Equal(ChatFinishReason.ContentFilter, blocked.FinishReason);
        Assert.Equal(ChatFinishReason.Length, truncated.FinishReason);
        Assert.Equal(4, handler.Sent.Count);
    }

    [Fact]
    public async Task A_completed_stream_is_cached_and_replayed_as_a_stream()
    {
        using var handler = new FakeHttpHandler().Answer(
            System.Net.HttpStatusCode.OK,
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"}}],\"responseId\":\"s1\"}\r\n\r\n"
            + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"responseId\":\"s1\"}\r\n\r\n",
            "text/event-stream");
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());

        var first = await chat.GetStreamingResponseAsync("greet", cancellationToken: Ct).ToChatResponseAsync(Ct);
        var second = await chat.GetStreamingResponseAsync("greet", cancellationToken: Ct).ToChatResponseAsync(Ct);

        Assert.Equal("Hello", first.Text);
        Assert.Equal("Hello", second.Text);
        Assert.Single(handler.Sent);
        Assert.True(second.TryGet<bool>(LlmChatOptions.CachedKey, out var cached) && cached);
    }

    private static string LlmResponseCacheKey(string prompt, ThinkingMode mode, string model) =>
        Pipeline.LlmResponseCache.Key([new ChatMessage(ChatRole.User, prompt)], new ChatOptions { ModelId = model }.WithThinkingMode(mode));
}
