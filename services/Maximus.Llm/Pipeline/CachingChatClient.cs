using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Pipeline;

/// <summary>
/// Serves a repeated prompt (same model, mode and prompt hash) from <see cref="LlmResponseCache"/> within its TTL.
/// A request opts out with <see cref="LlmChatOptions.CacheKey"/> = false. Streams are served from the cache as
/// updates, and a completed stream is stored.
/// </summary>
public sealed class CachingChatClient(IChatClient inner, LlmResponseCache cache) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!options.CacheAllowed())
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var key = LlmResponseCache.Key(list, options);
        if (cache.TryGet(key, out var hit))
        {
            return hit;
        }

        var response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        if (LlmResponseCache.IsCacheable(response))
        {
            cache.Set(key, response);
        }

        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!options.CacheAllowed())
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var key = LlmResponseCache.Key(list, options);
        if (cache.TryGet(key, out var hit))
        {
            var updates = hit.ToChatResponseUpdates();
            foreach (var update in updates)
            {
                (update.AdditionalProperties ??= [])[LlmChatOptions.CachedKey] = true;
                yield return update;
            }

            yield break;
        }

        var seen = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
        {
            seen.Add(update);
            yield return update;
        }

        var response = seen.ToChatResponse();
        if (LlmResponseCache.IsCacheable(response))
        {
            cache.Set(key, response);
        }
    }
}
