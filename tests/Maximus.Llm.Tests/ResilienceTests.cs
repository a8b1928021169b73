using System.Net;
using Maximus.Llm.Gemini;
using Maximus.Llm.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Maximus.Llm.Tests;

/// <summary>Retries, circuit breaker and latency budgets, on a fake clock: nothing here sleeps for real.</summary>
public sealed class ResilienceTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_429_with_a_retry_delay_is_retried_after_that_delay()
    {
        var time = new ObservedTimeProvider();
        using var handler = new FakeHttpHandler(time)
            .Answer(HttpStatusCode.TooManyRequests, GeminiFakes.Error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan.", "34.4s"))
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("Paris"));
        using var loggers = new ListLoggerFactory();
        using var chat = GeminiFakes.Pipeline(handler, time: time, loggers: loggers);

        var call = chat.GetResponseAsync("Capital of France?", new ChatOptions().WithThinkingMode(ThinkingMode.Normal), Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(34.4));

        time.Advance(TimeSpan.FromSeconds(34.3));
        await Task.Delay(50, Ct);
        Assert.Single(handler.Sent);
        Assert.False(call.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(0.1));
        var response = await call;

        Assert.Equal("Paris", response.Text);
        Assert.Equal(2, handler.Sent.Count);
        Assert.Equal(TimeSpan.FromSeconds(34.4), handler.Sent[1].At - handler.Sent[0].At);
        Assert.Contains(loggers.Lines, l => l.Message.StartsWith("LLM request failed; retry 1 in 34.4 s: Gemini API error 429 RESOURCE_EXHAUSTED", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_429_with_a_retry_after_header_is_retried_after_that_delay()
    {
        var time = new ObservedTimeProvider();
        using var handler = new FakeHttpHandler(time)
            .Answer(HttpStatusCode.TooManyRequests, """{"error":{"code":429,"message":"Slow down.","status":"RESOURCE_EXHAUSTED"}}""",
                configure: r => r.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(3)))
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("ok"));
        using var chat = GeminiFakes.Pipeline(handler, time: time);

        var call = chat.GetResponseAsync("hi", new ChatOptions().WithThinkingMode(ThinkingMode.Normal), Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(3));
        time.Advance(TimeSpan.FromSeconds(3));
        await call;

        Assert.Equal(TimeSpan.FromSeconds(3), handler.Sent[1].At - handler.Sent[0].At);
    }

    [Fact]
    public async Task A_429_asking_for_a_longer_wait_than_allowed_is_not_retried()
    {
        using var handler = new FakeHttpHandler()
            .Answer(HttpStatusCode.TooManyRequests, GeminiFakes.Error(429, "RESOURCE_EXHAUSTED", "Daily quota exceeded.", "3600s"));
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());

        var error = await Assert.ThrowsAsync<GeminiRateLimitException>(() => chat.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.Single(handler.Sent);
        Assert.Equal(TimeSpan.FromHours(1), error.RetryAfter);
        Assert.Equal("Daily quota exceeded.", error.ServerMessage);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff_until_an_answer()
    {
        var time = new FakeTimeProvider();
        using var handler = new FakeHttpHandler(time)
            .Answer(HttpStatusCode.ServiceUnavailable, """{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}""")
            .Answer(HttpStatusCode.InternalServerError, """{"error":{"code":500,"message":"Internal error.","status":"INTERNAL"}}""")
            .Answer(HttpStatusCode.OK, GeminiFakes.TextAnswer("done"));
        using var chat = GeminiFakes.Pipeline(handler, time: time);

        var call = chat.GetResponseAsync("hi", new ChatOptions().WithThinkingMode(ThinkingMode.Normal), Ct);
        await AdvanceUntil(time, () => handler.Sent.Count == 3, TimeSpan.FromMilliseconds(50));

        Assert.Equal("done", (await call).Text);
        Assert.True(handler.Sent[1].At > handler.Sent[0].At, "the first retry waited");
        Assert.True(handler.Sent[2].At - handler.Sent[1].At > TimeSpan.Zero, "the second retry waited");
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "INVALID_ARGUMENT", typeof(GeminiBadRequestException))]
    [InlineData(HttpStatusCode.Forbidden, "PERMISSION_DENIED", typeof(GeminiPermissionDeniedException))]
    [InlineData(HttpStatusCode.NotFound, "NOT_FOUND", typeof(GeminiNotFoundException))]
    public async Task Client_errors_are_not_retried_and_carry_the_servers_message(HttpStatusCode status, string name, Type type)
    {
        using var handler = new FakeHttpHandler().Answer(status, $$$"""{"error":{"code":{{{(int)status}}},"message":"The server says no.","status":"{{{name}}}"}}""");
        using var chat = GeminiFakes.Pipeline(handler, time: new FakeTimeProvider());

        var error = await Assert.ThrowsAnyAsync<GeminiApiException>(() => chat.GetResponseAsync("hi", cancellationToken: Ct));

        Assert.IsType(type, error);
        Assert.Single(handler.Sent);
        Assert.Equal("The server says no.", error.ServerMessage);
        Assert.Equal(name, error.ServerStatus);
    }

    [Fact]
    public async Task The_circuit_opens_after_repeated_failures_and_calls_then_fail_at_once()
    {
        using var handler = new FakeHttpHandler().Answer(HttpStatusCode.InternalServerError, """{"error":{"code":500,"message":"Internal error.","status":"INTERNAL"}}""");
        var options = new LlmOptions { Resilience = { MaxRetries = 0, BreakerMinimumThroughput = 3, BreakerFailureRatio = 0.5 } };
        using var chat = GeminiFakes.Pipeline(handler, options, time: new FakeTimeProvider());

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<GeminiServerException>(() => chat.GetResponseAsync($"hi {i}", cancellationToken: Ct));
        }

        var open = await Assert.ThrowsAsync<LlmUnavailableException>(() => chat.GetResponseAsync("hi again", cancellationToken: Ct));

        Assert.Equal(3, handler.Sent.Count);
        Assert.Contains("circuit open", open.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_attempt_slower_than_its_modes_latency_budget_times_out_and_is_not_retried()
    {
        var time = new ObservedTimeProvider();
        using var handler = new FakeHttpHandler(time).Then(async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), time, ct);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(GeminiFakes.TextAnswer("late")) };
        });
        using var chat = GeminiFakes.Pipeline(handler, time: time);

        var call = chat.GetResponseAsync("quick!", new ChatOptions().WithThinkingMode(ThinkingMode.Fast), Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(10));
        time.Advance(TimeSpan.FromSeconds(2));

        var timeout = await Assert.ThrowsAsync<LlmTimeoutException>(() => call);
        Assert.Equal(ThinkingMode.Fast, timeout.Mode);
        Assert.Equal(TimeSpan.FromSeconds(2), timeout.Budget);
        Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task A_stream_slower_than_its_budget_times_out()
    {
        var time = new ObservedTimeProvider();
        using var handler = new FakeHttpHandler(time).Then(async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(60), time, ct);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("") };
        });
        using var chat = GeminiFakes.Pipeline(handler, time: time);

        var call = chat.GetStreamingResponseAsync("think hard", new ChatOptions().WithThinkingMode(ThinkingMode.Deep), Ct).ToChatResponseAsync(Ct);
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(60));
        time.Advance(TimeSpan.FromSeconds(30));

        var timeout = await Assert.ThrowsAsync<LlmTimeoutException>(() => call);
        Assert.Equal(ThinkingMode.Deep, timeout.Mode);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition(), "the expected state was not reached within 5 s");
    }

    /// <summary>Moves the fake clock forward in small steps until the condition holds (at most 2 fake minutes).</summary>
    private static async Task AdvanceUntil(FakeTimeProvider time, Func<bool> condition, TimeSpan step)
    {
        var limit = time.GetUtcNow() + TimeSpan.FromMinutes(2);
        while (!condition() && time.GetUtcNow() < limit)
        {
            time.Advance(step);
            await Task.Delay(1, Ct);
        }

        await WaitUntil(condition);
    }
}
