using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Pipeline;

/// <summary>
/// Answers kept for a while, keyed by model, mode and a SHA-256 hash of the prompt (messages, instructions and the
/// options that change the answer: sampling, output format, tools). In memory, per process; the oldest entries go
/// first beyond <see cref="LlmCacheOptions.MaxEntries"/>. Thread-safe.
/// </summary>
public sealed class LlmResponseCache(LlmCacheOptions options, TimeProvider time)
{
    private readonly Dictionary<string, (ChatResponse Response, DateTimeOffset Expires, long Order)> _entries = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private long _order;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary><c>model|mode|sha256(prompt)</c>.</summary>
    public static string Key(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var model = options?.ModelId ?? "";
        var mode = options.GetThinkingMode()?.Name() ?? "";
        var prompt = new JsonObject
        {
            ["messages"] = JsonSerializer.SerializeToNode(messages.ToList(), AIJsonUtilities.DefaultOptions),
            ["instructions"] = options?.Instructions,
            ["temperature"] = options?.Temperature,
            ["topP"] = options?.TopP,
            ["topK"] = options?.TopK,
            ["maxOutputTokens"] = options?.MaxOutputTokens,
            ["seed"] = options?.Seed,
            ["presencePenalty"] = options?.PresencePenalty,
            ["frequencyPenalty"] = options?.FrequencyPenalty,
            ["stop"] = options?.StopSequences is { } stop ? string.Join('\u0001', stop) : null,
            ["format"] = options?.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } => schema.GetRawText(),
                ChatResponseFormatJson => "json",
                _ => null,
            },
            ["tools"] = options?.Tools is { } tools
                ? string.Join('\u0001', tools.Select(t => t is AIFunctionDeclaration f ? $"{f.Name}:{f.Description}:{f.JsonSchema.GetRawText()}" : t.Name))
                : null,
            ["toolMode"] = options?.ToolMode?.ToString(),
            ["reasoningOutput"] = options?.Reasoning?.Output?.ToString(),
            ["extra"] = options?.AdditionalProperties is { } extra
                ? string.Join('\u0001', extra.Where(p => p.Key.StartsWith(Gemini.GeminiChatClient.RequestFieldPrefix, StringComparison.Ordinal))
                    .OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => $"{p.Key}={Gemini.GeminiRequestBuilder.ToNode(p.Value)?.ToJsonString()}"))
                : null,
        };
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt.ToJsonString())));
        return $"{model}|{mode}|{hash}";
    }

    public bool TryGet(string key, out ChatResponse response)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (entry.Expires > time.GetUtcNow())
                {
                    response = Copy(entry.Response, cached: true);
                    return true;
                }

                _entries.Remove(key);
            }
        }

        response = null!;
        return false;
    }

    public void Set(string key, ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate)
        {
            _entries[key] = (Copy(response, cached: false), time.GetUtcNow() + options.Ttl, _order++);
            while (_entries.Count > Math.Max(1, options.MaxEntries))
            {
                var oldest = _entries.MinBy(e => e.Value.Order).Key;
                _entries.Remove(oldest);
            }
        }
    }

    /// <summary>Only complete, unfiltered answers are worth serving again.</summary>
    public static bool IsCacheable(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var finish = response.FinishReason;
        var complete = finish is null || finish == ChatFinishReason.Stop || finish == ChatFinishReason.ToolCalls;
        var blocked = response.TryGet<Gemini.GeminiOutcome>(Gemini.GeminiOutcome.Key, out var outcome) && outcome.Blocked;
        return complete && !blocked && response.Messages.Count > 0;
    }

    private static ChatResponse Copy(ChatResponse source, bool cached)
    {
        var copy = new ChatResponse([.. source.Messages])
        {
            ResponseId = source.ResponseId,
            ConversationId = source.ConversationId,
            ModelId = source.ModelId,
            CreatedAt = source.CreatedAt,
            FinishReason = source.FinishReason,
            Usage = source.Usage,
            RawRepresentation = source.RawRepresentation,
            AdditionalProperties = source.AdditionalProperties is null ? [] : new AdditionalPropertiesDictionary(source.AdditionalProperties),
        };
        if (cached)
        {
            copy.AdditionalProperties![LlmChatOptions.CachedKey] = true;
        }

        return copy;
    }
}
