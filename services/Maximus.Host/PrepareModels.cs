using System.Diagnostics;
using Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// <c>Maximus.Host prepare-models [folder]</c>: writes the embedding model prepared for a fast start (see
/// <see cref="PreparedModel"/>) into <c>models/</c> beside the host, or into the given folder. <c>dotnet publish</c> runs
/// it on the published folder; an image built from that folder starts its model in about 80 ms.
/// </summary>
internal static class PrepareModels
{
    public static int Run(string? folder)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var paths = PreparedModel.Prepare(folder);
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
