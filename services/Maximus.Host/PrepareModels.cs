using System.Diagnostics;
using Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// <c>Maximus.Host prepare-models [folder] [--model MiniLM,ArcticXs]</c>: writes the embedding model prepared for a fast
/// start (see <see cref="PreparedModel"/>; float and int8) into <c>models/</c> beside the host, or into the given folder.
/// Without <c>--model</c>: the default model (<see cref="LocalEmbeddingOptions.Model"/>); a host configured with another
/// model loads it from its package (slower start). <c>dotnet publish</c> runs it on the published folder; an image built
/// from that folder starts its model in about 80 ms.
/// </summary>
internal static class PrepareModels
{
    public static int Run(string[] args)
    {
        string? folder = null;
        IReadOnlyList<LocalEmbeddingModelKind> models = [new LocalEmbeddingOptions().Model];
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--model" && i + 1 < args.Length)
            {
                var names = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var parsed = new List<LocalEmbeddingModelKind>();
                foreach (var name in names)
                {
                    if (!Enum.TryParse<LocalEmbeddingModelKind>(name, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
                    {
                        Console.Error.WriteLine($"error: --model: unknown model '{name}' (known: {string.Join(", ", Enum.GetNames<LocalEmbeddingModelKind>())})");
                        return 2;
                    }

                    parsed.Add(kind);
                }

                models = parsed;
            }
            else if (folder is null && !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                folder = args[i];
            }
            else
            {
                Console.Error.WriteLine($"error: unexpected argument '{args[i]}' (usage: prepare-models [folder] [--model MiniLM,ArcticXs])");
                return 2;
            }
        }

        var watch = Stopwatch.StartNew();
        try
        {
            var paths = PreparedModel.Prepare(folder, models);
            Console.WriteLine($"prepared {string.Join(" and ", paths)} in {watch.Elapsed.TotalSeconds:F1} s (each checked against the model it was made from)");
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            Console.Error.WriteLine($"error: the embedding model could not be prepared: {ex.Message}");
            return 1;
        }
    }
}
