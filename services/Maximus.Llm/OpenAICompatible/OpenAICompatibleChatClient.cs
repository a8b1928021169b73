using System.ClientModel;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Maximus.Llm.OpenAICompatible;

/// <summary>
/// An OpenAI-compatible chat completions endpoint through Microsoft.Extensions.AI.OpenAI. The OpenAI client is bound to
/// one model, so this keeps one per model id a request names (the mode's model, e.g. <see cref="OpenAICompatibleOptions.FastModel"/>).
/// The layer's own option keys are not sent; the mode becomes <c>reasoning_effort</c> only when configured.
/// </summary>
public sealed class OpenAICompatibleChatClient : IChatClient
{
    private readonly OpenAICompatibleOptions _options;
    private readonly OpenAIClientOptions _clientOptions;
    private readonly ApiKeyCredential _key;
    private readonly ConcurrentDictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);
    private readonly ChatClientMetadata _metadata;

    private OpenAICompatibleChatClient(OpenAICompatibleOptions options, HttpClient? http)
    {
        _options = options;
        _clientOptions = new OpenAIClientOptions { Endpoint = new Uri(options.Endpoint!) };
        if (http is not null)
        {
            _clientOptions.Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http);
        }

        // Local servers take any key; the client library insists on one.
        _key = new ApiKeyCredential(string.IsNullOrWhiteSpace(options.ApiKey) ? "no-key" : options.ApiKey.Trim());
        _metadata = new ChatClientMetadata("openai", _clientOptions.Endpoint, options.Model);
    }

    public static IChatClient Create(OpenAICompatibleOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Endpoint) || string.IsNullOrWhiteSpace(options.Model))
        {
            throw new LlmException("An OpenAI-compatible provider needs Maximus:Llm:OpenAI:Endpoint and Maximus:Llm:OpenAI:Model.");
        }

        return new OpenAICompatibleChatClient(options, http);
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        ClientFor(options).GetResponseAsync(messages, Adapt(options), cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in ClientFor(options).GetStreamingResponseAsync(messages, Adapt(options), cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : ClientFor(null).GetService(serviceType, serviceKey);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private IChatClient ClientFor(ChatOptions? options)
    {
        var model = string.IsNullOrWhiteSpace(options?.ModelId) ? _options.Model! : options.ModelId;
        return _clients.GetOrAdd(model, m => new OpenAI.Chat.ChatClient(m, _key, _clientOptions).AsIChatClient());
    }

    private ChatOptions? Adapt(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        var adapted = options.Clone();
        if (_options.SendReasoningEffort && options.GetThinkingMode() is { } mode && mode != ThinkingMode.Adaptive && adapted.Reasoning?.Effort is null)
        {
            adapted.Reasoning = new ReasoningOptions { Effort = ThinkingModes.ToEffort(mode), Output = adapted.Reasoning?.Output };
        }
        else if (!_options.SendReasoningEffort)
        {
            adapted.Reasoning = null;
        }

        if (adapted.AdditionalProperties is { Count: > 0 } properties)
        {
            var kept = new AdditionalPropertiesDictionary();
            foreach (var (key, value) in properties)
            {
                if (!key.StartsWith("maximus.", StringComparison.Ordinal) && !key.StartsWith("gemini", StringComparison.Ordinal))
                {
                    kept[key] = value;
                }
            }

            adapted.AdditionalProperties = kept.Count > 0 ? kept : null;
        }

        return adapted;
    }
}
