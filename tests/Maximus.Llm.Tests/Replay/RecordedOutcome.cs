using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;

namespace Maximus.Llm.Tests.Replay;

/// <summary>What a recorded response says, read straight from its JSON (independently of the client's parser).</summary>
internal sealed record RecordedOutcome(
    string Text,
    string Thoughts,
    IReadOnlyList<(string Name, JsonNode Args)> FunctionCalls,
    IReadOnlyList<string> Signatures,
    long? PromptTokens,
    long? CandidateTokens,
    long? ThoughtTokens,
    long? TotalTokens,
    string? FinishReason,
    string? BlockReason,
    string? BlockMessage,
    IReadOnlyList<string> BlockedCategories)
{
    public bool Blocked => BlockReason is not null || (FinishReason is not null && GeminiOutcome.FilterReasons.Contains(FinishReason));

    public static RecordedOutcome From(JsonObject response)
    {
        var chunks = response["chunks"] is JsonArray array ? array.Select(c => c!.AsObject()).ToList() : [response["body"]!.AsObject()];
        var text = "";
        var thoughts = "";
        var calls = new List<(string, JsonNode)>();
        var signatures = new List<string>();
        JsonObject? usage = null;
        string? finish = null, block = null, blockMessage = null;
        var blocked = new List<string>();
        foreach (var chunk in chunks)
        {
            if (chunk["usageMetadata"] is JsonObject u)
            {
                usage = u;
            }

            if (chunk["promptFeedback"] is JsonObject feedback)
            {
                block = feedback["blockReason"]?.GetValue<string>() ?? block;
                blockMessage = feedback["blockReasonMessage"]?.GetValue<string>() ?? blockMessage;
            }

            if (chunk["candidates"] is not JsonArray { Count: > 0 } candidates)
            {
                continue;
            }

            var candidate = candidates[0]!;
            finish = candidate["finishReason"]?.GetValue<string>() ?? finish;
            if (candidate["safetyRatings"] is JsonArray ratings)
            {
                blocked = ratings.Where(r => r?["blocked"]?.GetValue<bool>() == true).Select(r => r!["category"]!.GetValue<string>()).ToList();
            }

            foreach (var part in candidate["content"]?["parts"] as JsonArray ?? [])
            {
                if (part?["thoughtSignature"]?.GetValue<string>() is { } signature)
                {
                    signatures.Add(signature);
                }

                if (part?["functionCall"] is JsonObject call)
                {
                    calls.Add((call["name"]!.GetValue<string>(), call["args"]?.DeepClone() ?? new JsonObject()));
                }
                else if (part?["text"]?.GetValue<string>() is { } t)
                {
                    if (part["thought"]?.GetValue<bool>() == true)
                    {
                        thoughts += t;
                    }
                    else
                    {
                        text += t;
                    }
                }
            }
        }

        long? Count(string name) => usage?[name]?.GetValue<long>();
        return new RecordedOutcome(
            text, thoughts, calls, signatures,
            Count("promptTokenCount"), Count("candidatesTokenCount"), Count("thoughtsTokenCount"), Count("totalTokenCount"),
            finish, block, blockMessage, blocked);
    }
}
