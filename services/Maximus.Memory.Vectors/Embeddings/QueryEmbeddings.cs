using Maximus.Contracts;
using Microsoft.Extensions.AI;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>Reads the query mark (<see cref="EmbeddingInput"/>) of an embedding call.</summary>
public static class QueryEmbeddings
{
    /// <summary>Options that mark the texts as queries.</summary>
    public static EmbeddingGenerationOptions Options() =>
        new() { AdditionalProperties = new() { [EmbeddingInput.Property] = EmbeddingInput.Query } };

    /// <summary>Whether the call's texts are queries.</summary>
    public static bool IsQuery(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(EmbeddingInput.Property, out var value) == true
        && value is string text && string.Equals(text, EmbeddingInput.Query, StringComparison.Ordinal);

    /// <summary>Options that say nothing but "these are queries" (a shared model run can honour them).</summary>
    internal static bool IsOnlyTheQueryMark(EmbeddingGenerationOptions options) =>
        IsQuery(options) && options.AdditionalProperties!.Count == 1
        && options.Dimensions is null && options.ModelId is null && options.RawRepresentationFactory is null;
}

/// <summary>A generator whose model wants queries written differently from passages (e.g. with a prefix).</summary>
public interface IQueryInputFormatter
{
    /// <summary>The text the model embeds for the query <paramref name="text"/>.</summary>
    string FormatQuery(string text);
}

/// <summary>
/// A generator that can say how long a text is for its model (a local model: its tokens), so that a caller cutting a
/// large call into runs puts texts of the same length together: every text of a run is padded to its longest.
/// </summary>
public interface IEmbeddingInputLength
{
    /// <summary>The length of <paramref name="text"/> as the model sees it (tokens, after any cut-off).</summary>
    int InputLength(string text);
}
