using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Gemini;

/// <summary>
/// Reads <c>generateContent</c> answers (whole or one SSE chunk) into Microsoft.Extensions.AI types: text parts
/// become <see cref="TextContent"/>, <c>thought: true</c> parts <see cref="TextReasoningContent"/>, function calls
/// <see cref="FunctionCallContent"/>, inlineData <see cref="DataContent"/>, fileData <see cref="UriContent"/>,
/// executableCode and codeExecutionResult <see cref="CodeInterpreterToolCallContent"/> and
/// <see cref="CodeInterpreterToolResultContent"/>; signatures stay on the content; usage counts thinking tokens as output.
/// </summary>
internal static class GeminiResponseParser
{
    public static ChatResponse ParseResponse(JsonElement root, string requestedModel)
    {
        var (contents, hasCalls) = Contents(root);
        var outcome = Outcome(root);
        var message = new ChatMessage(ChatRole.Assistant, contents) { MessageId = Text(root, "responseId") };
        var response = new ChatResponse(message)
        {
            ResponseId = Text(root, "responseId"),
            ModelId = Text(root, "modelVersion") ?? requestedModel,
            CreatedAt = CreatedAt(root),
            FinishReason = FinishReason(outcome, hasCalls),
            Usage = Usage(root),
            RawRepresentation = root.Clone(),
            AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiOutcome.Key] = outcome },
        };
        return response;
    }

    /// <summary>One chunk of a stream; usage and outcome are reported once, at the end, by the caller.</summary>
    /// <param name="callsSoFar">Whether earlier chunks called functions (the finish reason is then ToolCalls); updated.</param>
    public static ChatResponseUpdate ParseChunk(JsonElement root, string requestedModel, ref bool callsSoFar)
    {
        var (parsed, hasCalls) = Contents(root);
        var contents = new List<AIContent>(parsed.Count);
        foreach (var content in parsed)
        {
            // Text merges across a stream's updates and loses its properties: the signature goes on its own.
            if (content is TextContent or TextReasoningContent
                && content.AdditionalProperties?.TryGetValue(GeminiChatClient.ThoughtSignatureKey, out var value) == true && value is string signature)
            {
                content.AdditionalProperties.Remove(GeminiChatClient.ThoughtSignatureKey);
                if (content is TextReasoningContent reasoning)
                {
                    reasoning.ProtectedData = null;
                }

                if (content is TextContent { Text.Length: > 0 } or TextReasoningContent { Text.Length: > 0 })
                {
                    contents.Add(content);
                }

                contents.Add(new GeminiThoughtSignatureContent(signature) { RawRepresentation = content.RawRepresentation });
                continue;
            }

            contents.Add(content);
        }

        callsSoFar |= hasCalls;
        var outcome = Outcome(root);
        return new ChatResponseUpdate(ChatRole.Assistant, contents)
        {
            ResponseId = Text(root, "responseId"),
            MessageId = Text(root, "responseId"),
            ModelId = Text(root, "modelVersion") ?? requestedModel,
            CreatedAt = CreatedAt(root),
            FinishReason = outcome.FinishReason is null && outcome.BlockReason is null ? null : FinishReason(outcome, callsSoFar),
            RawRepresentation = root.Clone(),
        };
    }

    public static (IList<AIContent> Contents, bool HasCalls) Contents(JsonElement root)
    {
        var contents = new List<AIContent>();
        var hasCalls = false;
        if (FirstCandidate(root) is not { } candidate
            || !candidate.TryGetProperty("content", out var content)
            || !content.TryGetProperty("parts", out var parts)
            || parts.ValueKind != JsonValueKind.Array)
        {
            return (contents, false);
        }

        string? lastCode = null;
        foreach (var part in parts.EnumerateArray())
        {
            var signature = Text(part, "thoughtSignature");
            AIContent? item = null;
            if (part.TryGetProperty("functionCall", out var call))
            {
                var id = Text(call, "id");
                var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (call.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Object)
                {
                    foreach (var arg in args.EnumerateObject())
                    {
                        arguments[arg.Name] = arg.Value.Clone();
                    }
                }

                var function = new FunctionCallContent(id ?? $"gemini-call-{Guid.NewGuid():N}", Text(call, "name") ?? "", arguments);
                if (id is null)
                {
                    (function.AdditionalProperties ??= [])[GeminiChatClient.GeneratedCallIdKey] = true;
                }

                item = function;
                hasCalls = true;
            }
            else if (part.TryGetProperty("text", out var textElement) && textElement.ValueKind == JsonValueKind.String)
            {
                var text = textElement.GetString() ?? "";
                if (part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True)
                {
                    item = new TextReasoningContent(text) { ProtectedData = signature };
                }
                else if (text.Length > 0 || signature is not null)
                {
                    item = new TextContent(text);
                }
            }
            else if (part.TryGetProperty("inlineData", out var inline) && Text(inline, "data") is { } data)
            {
                item = new DataContent(Convert.FromBase64String(data), Text(inline, "mimeType") ?? "application/octet-stream");
            }
            else if (part.TryGetProperty("fileData", out var file) && Text(file, "fileUri") is { } uri && Uri.TryCreate(uri, UriKind.Absolute, out var fileUri))
            {
                item = new UriContent(fileUri, Text(file, "mimeType") ?? "application/octet-stream");
            }
            else if (part.TryGetProperty("executableCode", out var executable) && executable.ValueKind == JsonValueKind.Object)
            {
                var code = ExecutableCode(executable);
                lastCode = code.CallId;
                item = code;
            }
            else if (part.TryGetProperty("codeExecutionResult", out var executed) && executed.ValueKind == JsonValueKind.Object)
            {
                item = CodeExecutionResult(executed, lastCode);
            }
            else
            {
                // Other parts: kept raw, so they can be sent back.
                item = new AIContent();
            }

            if (item is null)
            {
                continue;
            }

            item.RawRepresentation = part.Clone();
            if (signature is not null)
            {
                (item.AdditionalProperties ??= [])[GeminiChatClient.ThoughtSignatureKey] = signature;
            }

            contents.Add(item);
        }

        return (contents, hasCalls);
    }

    /// <summary>
    /// Code the model ran with the code execution tool: a <see cref="CodeInterpreterToolCallContent"/> whose input is
    /// the code as text data (<c>text/x-python</c> for PYTHON), the language kept in
    /// <see cref="GeminiChatClient.CodeLanguageKey"/>. Without an id (Vertex AI sends none) the call id is made up.
    /// </summary>
    internal static CodeInterpreterToolCallContent ExecutableCode(JsonElement executable)
    {
        var id = Text(executable, "id");
        var language = Text(executable, "language") ?? "PYTHON";
        var code = new CodeInterpreterToolCallContent(id ?? $"gemini-code-{Guid.NewGuid():N}")
        {
            Inputs = [new DataContent(Encoding.UTF8.GetBytes(Text(executable, "code") ?? ""), language == "PYTHON" ? "text/x-python" : "text/plain")],
            AdditionalProperties = new() { [GeminiChatClient.CodeLanguageKey] = language },
        };
        if (id is null)
        {
            code.AdditionalProperties[GeminiChatClient.GeneratedCallIdKey] = true;
        }

        return code;
    }

    /// <summary>
    /// What the code printed: a <see cref="CodeInterpreterToolResultContent"/> with stdout as text (OUTCOME_OK) or
    /// stderr as an <see cref="ErrorContent"/> whose code is the outcome; the outcome is kept in
    /// <see cref="GeminiChatClient.CodeOutcomeKey"/>. Without an id it answers the code part just before it.
    /// </summary>
    internal static CodeInterpreterToolResultContent CodeExecutionResult(JsonElement executed, string? previousCallId)
    {
        var id = Text(executed, "id");
        var outcome = Text(executed, "outcome") ?? "OUTCOME_UNSPECIFIED";
        var output = Text(executed, "output");
        var result = new CodeInterpreterToolResultContent(id ?? previousCallId ?? $"gemini-code-{Guid.NewGuid():N}")
        {
            Outputs = output is null ? null : [outcome == "OUTCOME_OK" ? new TextContent(output) : new ErrorContent(output) { ErrorCode = outcome }],
            AdditionalProperties = new() { [GeminiChatClient.CodeOutcomeKey] = outcome },
        };
        if (id is null)
        {
            result.AdditionalProperties[GeminiChatClient.GeneratedCallIdKey] = true;
        }

        return result;
    }

    public static GeminiOutcome Outcome(JsonElement root)
    {
        var candidate = FirstCandidate(root);
        var ratings = new List<GeminiSafetyRating>();
        string? blockReason = null, blockMessage = null;
        if (root.TryGetProperty("promptFeedback", out var feedback) && feedback.ValueKind == JsonValueKind.Object)
        {
            blockReason = Text(feedback, "blockReason");
            blockMessage = Text(feedback, "blockReasonMessage");
            ratings.AddRange(Ratings(feedback));
        }

        if (candidate is { } c)
        {
            ratings.AddRange(Ratings(c));
        }

        return new GeminiOutcome(
            candidate is { } f ? Text(f, "finishReason") : null,
            candidate is { } m ? Text(m, "finishMessage") : null,
            blockReason,
            blockMessage,
            ratings,
            Text(root, "modelVersion"),
            Text(root, "responseId"));
    }

    /// <summary>STOP → Stop (ToolCalls when the answer calls functions), MAX_TOKENS → Length, filters → ContentFilter.</summary>
    public static ChatFinishReason? FinishReason(GeminiOutcome outcome, bool hasCalls)
    {
        if (outcome.BlockReason is not null)
        {
            return ChatFinishReason.ContentFilter;
        }

        return outcome.FinishReason switch
        {
            null => null,
            "STOP" => hasCalls ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            "MAX_TOKENS" => ChatFinishReason.Length,
            var reason when GeminiOutcome.FilterReasons.Contains(reason) => ChatFinishReason.ContentFilter,
            var reason => new ChatFinishReason(reason.ToLowerInvariant()),
        };
    }

    /// <summary>
    /// Input = prompt (+ tool-use prompt) tokens; output = candidate + thinking tokens (Microsoft.Extensions.AI counts
    /// reasoning as output); the raw Gemini counts are in <see cref="UsageDetails.AdditionalCounts"/>.
    /// </summary>
    public static UsageDetails? Usage(JsonElement root)
    {
        if (!root.TryGetProperty("usageMetadata", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var prompt = Count(usage, "promptTokenCount");
        var candidates = Count(usage, "candidatesTokenCount");
        var thoughts = Count(usage, "thoughtsTokenCount");
        var toolPrompt = Count(usage, "toolUsePromptTokenCount");
        var cached = Count(usage, "cachedContentTokenCount");
        var total = Count(usage, "totalTokenCount");
        if (prompt is null && candidates is null && thoughts is null && total is null)
        {
            return null;
        }

        var details = new UsageDetails
        {
            InputTokenCount = prompt is null && toolPrompt is null ? null : (prompt ?? 0) + (toolPrompt ?? 0),
            OutputTokenCount = candidates is null && thoughts is null ? null : (candidates ?? 0) + (thoughts ?? 0),
            ReasoningTokenCount = thoughts,
            CachedInputTokenCount = cached,
            TotalTokenCount = total,
        };
        var additional = new AdditionalPropertiesDictionary<long>();
        foreach (var (name, value) in new[] { ("candidatesTokenCount", candidates), ("thoughtsTokenCount", thoughts), ("toolUsePromptTokenCount", toolPrompt), ("cachedContentTokenCount", cached) })
        {
            if (value is { } v)
            {
                additional[name] = v;
            }
        }

        details.AdditionalCounts = additional.Count > 0 ? additional : null;
        return details;
    }

    /// <summary>Reads an error answer into a typed exception with the server's message and retry delay.</summary>
    public static GeminiApiException Error(HttpStatusCode status, string body, HttpResponseHeaders? headers, string? reasonPhrase)
    {
        var code = (int)status;
        string? serverStatus = null;
        var message = string.IsNullOrWhiteSpace(body) ? reasonPhrase ?? status.ToString() : body.Trim();
        JsonElement? details = null;
        TimeSpan? retry = RetryAfterHeader(headers);
        try
        {
            using var doc = JsonDocument.Parse(body);
            var error = doc.RootElement.ValueKind == JsonValueKind.Array && doc.RootElement.GetArrayLength() > 0
                ? doc.RootElement[0].GetProperty("error")
                : doc.RootElement.GetProperty("error");
            message = Text(error, "message") ?? message;
            serverStatus = Text(error, "status");
            if (error.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Array)
            {
                details = d.Clone();
                retry = RetryInfo(d) ?? retry;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            if (message.Length > 2_000)
            {
                message = message[..2_000];
            }
        }

        return GeminiApiException.For(code, serverStatus, message, retry, details);
    }

    /// <summary>The <c>google.rpc.RetryInfo</c> detail's <c>retryDelay</c> (a protobuf duration such as <c>"34.4s"</c>).</summary>
    public static TimeSpan? RetryInfo(JsonElement details)
    {
        foreach (var detail in details.EnumerateArray())
        {
            if (Text(detail, "@type") is { } type && type.EndsWith("google.rpc.RetryInfo", StringComparison.Ordinal)
                && Text(detail, "retryDelay") is { } delay && ParseDuration(delay) is { } parsed)
            {
                return parsed;
            }
        }

        return null;
    }

    public static TimeSpan? ParseDuration(string text)
    {
        var value = text.Trim();
        if (value.EndsWith('s') && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return null;
    }

    private static TimeSpan? RetryAfterHeader(HttpResponseHeaders? headers)
    {
        var retryAfter = headers?.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static IEnumerable<GeminiSafetyRating> Ratings(JsonElement element)
    {
        if (!element.TryGetProperty("safetyRatings", out var ratings) || ratings.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var rating in ratings.EnumerateArray())
        {
            yield return new GeminiSafetyRating(
                Text(rating, "category") ?? "",
                Text(rating, "probability"),
                rating.TryGetProperty("blocked", out var blocked) && blocked.ValueKind == JsonValueKind.True);
        }
    }

    private static JsonElement? FirstCandidate(JsonElement root) =>
        root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array && candidates.GetArrayLength() > 0
            ? candidates[0]
            : null;

    private static DateTimeOffset? CreatedAt(JsonElement root) =>
        Text(root, "createTime") is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    internal static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long? Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;
}
