using Maximus.Contracts;
using Microsoft.Extensions.AI;

namespace Maximus.Memory;

/// <summary>The embedding options that mark a call's texts as queries (<see cref="EmbeddingInput"/>).</summary>
internal static class QueryEmbedding
{
    public static EmbeddingGenerationOptions Options() =>
        new() { AdditionalProperties = new() { [EmbeddingInput.Property] = EmbeddingInput.Query } };
}
