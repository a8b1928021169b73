using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace Maximus.Llm;

/// <summary>
/// How hard a model thinks before it answers. Each concrete mode has a latency budget (a timeout) and maps to the
/// model's own knob: <c>thinkingLevel</c> for Gemini 3 models, <c>thinkingBudget</c> for Gemini 2.5 models.
/// <see cref="Adaptive"/> picks one of the three from the task (<see cref="AdaptiveModeSelector"/>).
/// </summary>
public enum ThinkingMode
{
    /// <summary>Little or no thinking; answers within about 2 s.</summary>
    Fast,

    /// <summary>Some thinking; answers within about 8 s.</summary>
    Normal,

    /// <summary>Thorough thinking; answers within about 30 s.</summary>
    Deep,

    /// <summary>Chooses fast, normal or deep from the task's size, plan depth, tools and past failure rate.</summary>
    Adaptive,
}

public static class ThinkingModes
{
    /// <summary>The names accepted on the command line and in configuration.</summary>
    public static IReadOnlyList<string> Names { get; } = ["fast", "normal", "deep", "adaptive"];

    public static string Name(this ThinkingMode mode) => mode switch
    {
        ThinkingMode.Fast => "fast",
        ThinkingMode.Normal => "normal",
        ThinkingMode.Deep => "deep",
        _ => "adaptive",
    };

    public static bool TryParse(string? text, out ThinkingMode mode)
    {
        mode = ThinkingMode.Adaptive;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        return Enum.TryParse(text.Trim(), ignoreCase: true, out mode) && Enum.IsDefined(mode);
    }

    /// <summary>The cheaper of two concrete modes (fast &lt; normal &lt; deep).</summary>
    public static ThinkingMode Cheaper(ThinkingMode a, ThinkingMode b) => (ThinkingMode)Math.Min((int)a, (int)b);

    /// <summary>The mode that Microsoft.Extensions.AI's reasoning effort stands for.</summary>
    public static ThinkingMode FromEffort(ReasoningEffort effort) => effort switch
    {
        ReasoningEffort.None or ReasoningEffort.Low => ThinkingMode.Fast,
        ReasoningEffort.Medium => ThinkingMode.Normal,
        _ => ThinkingMode.Deep,
    };

    /// <summary>Microsoft.Extensions.AI's reasoning effort for a concrete mode (for OpenAI-compatible endpoints).</summary>
    public static ReasoningEffort ToEffort(ThinkingMode mode) => mode switch
    {
        ThinkingMode.Fast => ReasoningEffort.Low,
        ThinkingMode.Deep => ReasoningEffort.High,
        _ => ReasoningEffort.Medium,
    };
}

/// <summary>
/// What a caller tells the LLM layer about a request, through <see cref="ChatOptions.AdditionalProperties"/>,
/// and what the layer tells back through <see cref="ChatResponse.AdditionalProperties"/>.
/// </summary>
public static class LlmChatOptions
{
    /// <summary>The requested <see cref="ThinkingMode"/>; the pipeline replaces adaptive by the mode it chose.</summary>
    public const string ModeKey = "maximus.mode";

    /// <summary>The <see cref="TaskProfile"/> that adaptive mode decides on.</summary>
    public const string TaskKey = "maximus.task";

    /// <summary>false: do not answer from, or store into, the response cache.</summary>
    public const string CacheKey = "maximus.cache";

    /// <summary>Set by the pipeline when it chose the model for the mode (the caller gave no model id).</summary>
    public const string ModelRoutedKey = "maximus.modelRouted";

    /// <summary>Response: why the mode was chosen.</summary>
    public const string ModeReasonKey = "maximus.modeReason";

    /// <summary>Response: the cost of this answer in US dollars (0 when it came from the cache).</summary>
    public const string CostKey = "maximus.costUsd";

    /// <summary>Response: true when the answer came from the response cache.</summary>
    public const string CachedKey = "maximus.cached";

    /// <summary>Response: true when the monthly budget was exceeded and a cheaper mode answered.</summary>
    public const string BudgetFallbackKey = "maximus.budgetFallback";

    public static ChatOptions WithThinkingMode(this ChatOptions options, ThinkingMode mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        (options.AdditionalProperties ??= [])[ModeKey] = mode;
        return options;
    }

    public static ChatOptions WithTaskProfile(this ChatOptions options, TaskProfile profile)
    {
        ArgumentNullException.ThrowIfNull(options);
        (options.AdditionalProperties ??= [])[TaskKey] = profile;
        return options;
    }

    /// <summary>The mode asked for: <see cref="ModeKey"/>, else the reasoning effort, else null.</summary>
    public static ThinkingMode? GetThinkingMode(this ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(ModeKey, out var value) == true)
        {
            switch (value)
            {
                case ThinkingMode mode:
                    return mode;
                case string text when ThinkingModes.TryParse(text, out var parsed):
                    return parsed;
            }
        }

        return options?.Reasoning?.Effort is { } effort ? ThinkingModes.FromEffort(effort) : null;
    }

    public static TaskProfile? GetTaskProfile(this ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(TaskKey, out var value) == true ? value as TaskProfile : null;

    public static bool CacheAllowed(this ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(CacheKey, out var value) != true || value is not false;

    /// <summary>
    /// Reads a value the layer put on a response. A response assembled from a stream (<c>ToChatResponse</c>) carries
    /// the updates' properties on its message instead: those are read too, the last message first.
    /// </summary>
    public static bool TryGet<T>(this ChatResponse response, string key, [NotNullWhen(true)] out T? value)
    {
        ArgumentNullException.ThrowIfNull(response);
        foreach (var properties in response.Messages.Reverse().Select(m => m.AdditionalProperties).Prepend(response.AdditionalProperties))
        {
            if (properties?.TryGetValue(key, out var raw) == true && raw is T typed)
            {
                value = typed;
                return true;
            }
        }

        value = default;
        return false;
    }
}
