using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Maximus.Llm.Pipeline;

/// <summary>
/// The outermost layer: settles the request's mode (the requested one, else the default; adaptive becomes fast,
/// normal or deep by <see cref="AdaptiveModeSelector"/>, and the choice and its reason are logged), and picks the
/// mode's model when the caller named none. The mode and reason go back on the response.
/// </summary>
public sealed partial class ThinkingModeChatClient(
    IChatClient inner, LlmOptions options, Func<ThinkingMode, string?> modelFor, AdaptiveModeSelector selector, ILogger<ThinkingModeChatClient> logger)
    : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var (resolved, choice) = Resolve(list, options);
        var response = await base.GetResponseAsync(list, resolved, cancellationToken).ConfigureAwait(false);
        var properties = response.AdditionalProperties ??= [];
        properties[LlmChatOptions.ModeKey] = choice.Mode.Name();
        properties[LlmChatOptions.ModeReasonKey] = choice.Reason;
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var (resolved, choice) = Resolve(list, options);
        await foreach (var update in base.GetStreamingResponseAsync(list, resolved, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }

        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [LlmChatOptions.ModeKey] = choice.Mode.Name(),
                [LlmChatOptions.ModeReasonKey] = choice.Reason,
            },
        };
    }

    /// <summary>The options the inner layers see: a concrete mode, and the mode's model unless the caller chose one.</summary>
    public (ChatOptions Options, ModeChoice Choice) Resolve(IReadOnlyList<ChatMessage> messages, ChatOptions? requested)
    {
        var asked = requested.GetThinkingMode();
        var mode = asked ?? options.DefaultMode;
        ModeChoice choice;
        if (mode == ThinkingMode.Adaptive)
        {
            var profile = (requested.GetTaskProfile() ?? new TaskProfile()).CompleteFrom(messages, requested);
            var chosen = selector.Choose(profile);
            choice = chosen with { Reason = $"adaptive: {chosen.Reason}" };
            LogAdaptiveChoice(logger, chosen.Mode.Name(), chosen.Reason);
        }
        else
        {
            choice = new ModeChoice(mode, 0, asked is null ? "the configured default mode" : "requested");
        }

        var resolved = requested?.Clone() ?? new ChatOptions();
        var properties = resolved.AdditionalProperties = resolved.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(resolved.AdditionalProperties);
        properties[LlmChatOptions.ModeKey] = choice.Mode;
        if (string.IsNullOrWhiteSpace(resolved.ModelId) && modelFor(choice.Mode) is { } model)
        {
            resolved.ModelId = model;
            properties[LlmChatOptions.ModelRoutedKey] = true;
        }

        return (resolved, choice);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adaptive thinking chose {Mode}: {Reason}")]
    private static partial void LogAdaptiveChoice(ILogger logger, string mode, string reason);
}
