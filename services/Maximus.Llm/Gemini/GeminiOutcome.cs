namespace Maximus.Llm.Gemini;

/// <summary>One safety rating of a candidate or prompt.</summary>
public sealed record GeminiSafetyRating(string Category, string? Probability, bool Blocked);

/// <summary>
/// How a Gemini answer ended, as a typed result (put on <c>ChatResponse.AdditionalProperties["gemini.outcome"]</c>).
/// A blocked prompt or a safety stop is not an exception: the response says why, <see cref="Blocked"/> is true and
/// the finish reason is <c>ContentFilter</c>.
/// </summary>
/// <param name="FinishReason">The raw <c>finishReason</c> (STOP, MAX_TOKENS, SAFETY, …), null when there was no candidate.</param>
/// <param name="BlockReason">The raw <c>promptFeedback.blockReason</c> (SAFETY, MODEL_ARMOR, …) when the prompt was blocked.</param>
public sealed record GeminiOutcome(
    string? FinishReason,
    string? FinishMessage,
    string? BlockReason,
    string? BlockReasonMessage,
    IReadOnlyList<GeminiSafetyRating> SafetyRatings,
    string? ModelVersion,
    string? ResponseId)
{
    public const string Key = "gemini.outcome";

    /// <summary>Finish reasons that mean content was withheld.</summary>
    public static IReadOnlySet<string> FilterReasons { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
    };

    /// <summary>The prompt was blocked, or the answer was stopped by a filter.</summary>
    public bool Blocked => BlockReason is not null || (FinishReason is not null && FilterReasons.Contains(FinishReason));

    /// <summary>The harm categories a rating marked as blocked.</summary>
    public IReadOnlyList<string> BlockedCategories => SafetyRatings.Where(r => r.Blocked).Select(r => r.Category).ToList();
}
