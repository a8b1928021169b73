namespace Maximus.Contracts;

/// <summary>
/// What a text to embed is, for models trained with different inputs for queries and passages (a query prefix, a task
/// type). A caller marks a query by putting <see cref="Property"/> = <see cref="Query"/> into the embedding call's
/// <c>EmbeddingGenerationOptions.AdditionalProperties</c>; an unmarked call embeds passages (what is stored). Generators
/// without the distinction ignore the mark.
/// </summary>
public static class EmbeddingInput
{
    public const string Property = "maximus.input";

    public const string Query = "query";
}
