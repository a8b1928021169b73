using Microsoft.Extensions.AI;

namespace Maximus.Llm.Gemini;

/// <summary>
/// A thought signature that arrived in a stream on a text or thought part. Microsoft.Extensions.AI merges adjacent
/// text contents of a stream (and drops their properties), so the signature travels as its own content, which
/// survives <c>ToChatResponse</c>; it is sent back as an empty text part with the signature, as Gemini streams it.
/// </summary>
public sealed class GeminiThoughtSignatureContent : AIContent
{
    public GeminiThoughtSignatureContent(string signature)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        Signature = signature;
        AdditionalProperties = new() { [GeminiChatClient.ThoughtSignatureKey] = signature };
    }

    public string Signature { get; }
}
