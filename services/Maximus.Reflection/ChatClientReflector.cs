using System.Text.Json;
using Maximus.Contracts.Reflection;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Reflection;

/// <summary>
/// Reflects with a language model (any <see cref="IChatClient"/>): the log goes in, a JSON critique comes out.
/// An answer that cannot be used, an error or a timeout falls back to the heuristic reflector, so reflection
/// never fails because of the model.
/// </summary>
public sealed partial class ChatClientReflector(IChatClient chat, HeuristicReflector fallback, TimeProvider time, ILogger<ChatClientReflector> logger) : IReflector
{
    public const string SystemPrompt = """
        You reflect on one execution log of an AI agent's mission step. Answer with one JSON object only:
        {"classification": "success" | "success-with-surprise" | "recovered" | "rejected" | "failure:<pattern>",
         "qualityScore": number from 0 to 1,
         "lessons": ["When <situation>, <do this>.", ...] (at most 3, each one sentence),
         "errorPatterns": ["precondition" | "timeout" | "unreachable" | "arguments" | ...]}
        """;

    /// <summary>A model answer slower than this is abandoned for the heuristic reflection.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    public string Name => "llm";

    public async ValueTask<ReflectionResult> ReflectAsync(ExecutionLog log, CancellationToken cancellationToken)
    {
        var heuristic = fallback.Reflect(log);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var response = await chat.GetResponseAsync(
                [
                    new ChatMessage(ChatRole.System, SystemPrompt),
                    new ChatMessage(ChatRole.User, JsonSerializer.Serialize(log with { TraceParent = null }, MaximusJson.Options)),
                ],
                new ChatOptions { ResponseFormat = ChatResponseFormat.Json, Temperature = 0 },
                timeout.Token).ConfigureAwait(false);
            var critique = Parse(response.Text);
            if (critique is null)
            {
                LogUnusable(logger, log.LogId);
                return heuristic;
            }

            return heuristic with
            {
                Classification = string.IsNullOrWhiteSpace(critique.Classification) ? heuristic.Classification : critique.Classification.Trim(),
                QualityScore = Math.Round(Math.Clamp(critique.QualityScore ?? heuristic.QualityScore, 0, 1), 3),
                Lessons = critique.Lessons is { Count: > 0 } lessons ? lessons.Where(l => !string.IsNullOrWhiteSpace(l)).Take(3).ToList() : heuristic.Lessons,
                ErrorPatterns = critique.ErrorPatterns ?? heuristic.ErrorPatterns,
                Reflector = Name,
                ReflectedAt = time.GetUtcNow(),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFallback(logger, ex, log.LogId);
            return heuristic;
        }
    }

    /// <summary>Reads the model's JSON, tolerating code fences around it; null when it is not the expected object.</summary>
    public static Critique? Parse(string? text) => ModelAnswer.ReadObject<Critique>(text);

    public sealed record Critique(string? Classification, double? QualityScore, IReadOnlyList<string>? Lessons, IReadOnlyList<string>? ErrorPatterns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model's reflection of {LogId} was not usable; the heuristic reflection is kept")]
    private static partial void LogUnusable(ILogger logger, string logId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model failed to reflect on {LogId}; the heuristic reflection is kept")]
    private static partial void LogFallback(ILogger logger, Exception exception, string logId);
}
