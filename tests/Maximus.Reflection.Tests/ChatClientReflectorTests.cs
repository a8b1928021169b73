using Maximus.Contracts.Plugins;
using Maximus.Contracts.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maximus.Reflection.Tests;

public sealed class ChatClientReflectorTests
{
    private static readonly ExecutionLog Failed = ReflectionHost.Log("x-1", ReflectionPriority.High) with
    {
        Outcome = ActionOutcome.Failed,
        Error = "precondition (clear b) does not hold",
    };

    [Fact]
    public async Task The_models_critique_becomes_the_reflection()
    {
        var chat = new ScriptedChatClient("""
            ```json
            {"classification": "failure:precondition", "qualityScore": "0.25", "lessons": ["When b is covered, unstack it first."], "errorPatterns": ["precondition"]}
            ```
            """);
        var reflector = new ChatClientReflector(chat, new HeuristicReflector(TimeProvider.System), TimeProvider.System, NullLogger<ChatClientReflector>.Instance);

        var reflection = await reflector.ReflectAsync(Failed, TestContext.Current.CancellationToken);

        Assert.Equal("llm", reflection.Reflector);
        Assert.Equal("failure:precondition", reflection.Classification);
        Assert.Equal(0.25, reflection.QualityScore);
        Assert.Equal(["When b is covered, unstack it first."], reflection.Lessons);
        Assert.Contains("x-1", chat.LastPrompt, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("I think it went badly.")]
    [InlineData("")]
    [InlineData(null)]
    public async Task An_unusable_answer_or_a_failing_model_falls_back_to_the_heuristic_reflection(string? answer)
    {
        var chat = new ScriptedChatClient(answer);
        var reflector = new ChatClientReflector(chat, new HeuristicReflector(TimeProvider.System), TimeProvider.System, NullLogger<ChatClientReflector>.Instance);

        var reflection = await reflector.ReflectAsync(Failed, TestContext.Current.CancellationToken);

        Assert.Equal("heuristic", reflection.Reflector);
        Assert.StartsWith("failure", reflection.Classification, StringComparison.Ordinal);
        Assert.Contains("precondition", reflection.ErrorPatterns);
    }

    [Fact]
    public void Heuristic_reflector_flags_a_latency_anomaly_against_the_actions_history()
    {
        var reflector = new HeuristicReflector(TimeProvider.System);
        for (var i = 0; i < 20; i++)
        {
            Assert.False(reflector.Reflect(ReflectionHost.Log($"n-{i}", ReflectionPriority.High) with { DurationMs = 10 + (i % 3) }).LatencyAnomaly);
        }

        var slow = reflector.Reflect(ReflectionHost.Log("slow", ReflectionPriority.High) with { DurationMs = 500 });

        Assert.True(slow.LatencyAnomaly);
        Assert.Contains(slow.Lessons, l => l.Contains("unusually long", StringComparison.Ordinal));
    }

    /// <summary>A chat client that answers a fixed text (null: it throws, like a model that is down).</summary>
    private sealed class ScriptedChatClient(string? answer) : IChatClient
    {
        public string LastPrompt { get; private set; } = "";

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastPrompt = string.Join("\n", messages.Select(m => m.Text));
            return answer is null
                ? Task.FromException<ChatResponse>(new HttpRequestException("model unavailable"))
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The reflector does not stream.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
